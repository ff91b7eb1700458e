import{ab as o,ac as p,ad as t}from"./index-DvDbDn27.js";function b(n,s,...e){var r=new t(n);o(()=>{const a=s()??null;r.ensure(a,a&&(c=>a(c,...e)))},p)}export{b as s};
