import{ag as p,ah as t,ai as c}from"./index-CDSviyib.js";function h(n,s,...e){var r=new c(n);p(()=>{const a=s()??null;r.ensure(a,a&&(o=>a(o,...e)))},t)}export{h as s};
