import { api, su } from './h.mjs';
const t = await su();
const mk = async (c) => { const r = await api('POST', '/api/collections', c, t); if (r.status !== 200) console.log(JSON.stringify(r.json)); return r.json; };
const uc = await mk({ name: 'users2', type: 'auth', listRule: '', viewRule: '', fields: [{ name: 'name', type: 'text' }, { name: 'role', type: 'text' }, { name: 'age', type: 'number' }] });
const pc = await mk({ name: 'posts', type: 'base', listRule: '', viewRule: '', fields: [
  { name: 'title', type: 'text' }, { name: 'n', type: 'number' }, { name: 'ok', type: 'bool' },
  { name: 'tags', type: 'select', values: ['a', 'b', 'c'], maxSelect: 3 },
  { name: 'status', type: 'select', values: ['x', 'y'], maxSelect: 1 },
  { name: 'author', type: 'relation', collectionId: uc.id, maxSelect: 1 },
  { name: 'editors', type: 'relation', collectionId: uc.id, maxSelect: 5 },
  { name: 'when', type: 'date' }, { name: 'meta', type: 'json' }, { name: 'loc', type: 'geoPoint' },
  { name: 'secret', type: 'text', hidden: true },
  { name: 'created', type: 'autodate', onCreate: true }] });
const cc = await mk({ name: 'comments', type: 'base', listRule: '', viewRule: '', fields: [{ name: 'msg', type: 'text' }, { name: 'post', type: 'relation', collectionId: pc.id, maxSelect: 1 }, { name: 'user', type: 'relation', collectionId: uc.id, maxSelect: 1 }] });
const mk2 = async (c, d) => { const r = await api('POST', `/api/collections/${c}/records`, d, t); if (r.status !== 200) console.log(JSON.stringify(r.json)); return r.json; };
const al = await mk2('users2', { email: 'al@example.com', password: 'pass12345', passwordConfirm: 'pass12345', name: 'Al', role: 'boss', age: 30 });
const bo = await mk2('users2', { email: 'bo@example.com', password: 'pass12345', passwordConfirm: 'pass12345', name: 'Bo', emailVisibility: true, age: 20 });
const rows = [
  { title: 'Alpha', n: 1, ok: true, tags: ['a'], status: 'x', author: al.id, editors: [al.id, bo.id], when: '2020-01-01 00:00:00.000Z', meta: { k: 1, s: 'x' }, loc: {lon: 1, lat: 2}, secret: 's1' },
  { title: 'beta', n: 2, ok: false, tags: ['a', 'b'], author: bo.id, editors: [bo.id], when: '2999-01-01 00:00:00.000Z', meta: { k: 2 } },
  { title: 'Gamma ray', n: 3, ok: true, tags: [], author: '', editors: [], when: '', meta: null },
  { title: '', n: 0, ok: false, tags: ['c'], author: al.id, editors: [al.id], when: '', meta: [1, 2] },
  { title: "it's 50%", n: -1, ok: false, tags: [], author: '', editors: [], when: '', meta: null },
];
const ids = [];
for (const r of rows) ids.push((await mk2('posts', r)).id);
await mk2('comments', { msg: 'first', post: ids[0], user: al.id });
await mk2('comments', { msg: 'second', post: ids[0], user: bo.id });
await mk2('comments', { msg: 'third', post: ids[1], user: al.id });
console.log(JSON.stringify({ al: al.id, bo: bo.id, ids }));
