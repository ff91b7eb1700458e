import{af as p,ag as t,ah as c}from"./index-Qhjcm0Fo.js";function f(n,s,...e){var r=new c(n);p(()=>{const a=s()??null;r.ensure(a,a&&(o=>a(o,...e)))},t)}export{f as s};
