import { api, su } from './h.mjs';
import fs from 'fs';
const t = await su();
const rules = ['@request.body.nope = 1', '@request.auth.nope.x = 1', '@request.auth.nope:each = 1', 'nope = 1', '@collection.nope.x = 1', '@request.body.t:each = 1',
  '@request.body.tags:each = 1', '@request.body.t:length = 1', '@request.body.t:changed = true', '@request.body.nope:changed = true', '@request.body.owner.nope = 1',
  '@request.body.owner.name = 1', '@request.query.x:each = 1', '@request.query.x:isset = true', '@request.headers.x:lower = 1', 't:foo = 1', 'owner.nope = 1',
  'owner.name.x = 1', "owner.members_via_user.role ?= 'x'", "owner.nope_via_user.role ?= 'x'", '@request.auth.id = 1 &&', '', ' ', '@now = 1', '@nope = 1',
  'geoDistance(1,2,3) = 1', "strftime('%Y', t) = '1'", 'unknown(1) = 1', 'tags:length = 1', 't:length = 1', 'meta.a.b = 1', 'meta:each = 1', 'r_upd_via_owner.t = 1',
  Array(201).fill('t = 1').join(' || '), 'x'.repeat(4000) + ' = 1', "t = '" + 'x'.repeat(4000) + "'", '@request.context = "x"', '@request.method:lower = 1', '@request.auth.collectionName = 1',
  '@collection.users2:u.name = 1', '@collection.users2:u = 1', 'id = @request.auth.id', 'secret = 1', 'editors.id ?= 1', '@request.body.editors.name ?= 1', 'bad:isset = 1', 'owner:each = 1', 'owner:length = 1'];
const out = [];
for (const rule of rules) {
  const r = await api('PATCH', '/api/collections/r_upd', { deleteRule: rule }, t);
  out.push({ kind: 'validate', rule, status: r.status });
  console.log(JSON.stringify(rule.slice(0, 60)), r.status, r.status !== 200 ? JSON.stringify(r.json.data?.deleteRule?.message ?? r.json).slice(0, 120) : '');
}
await api('PATCH', '/api/collections/r_upd', { deleteRule: null }, t);
fs.writeFileSync('oracle3.json', JSON.stringify(out));
