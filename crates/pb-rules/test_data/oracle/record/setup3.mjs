import { api, su } from './h.mjs';
import fs from 'fs';
const ids = JSON.parse(fs.readFileSync('ids.json', 'utf8'));
const t = await su();
const mk = async (c) => { const r = await api('POST', '/api/collections', c, t); if (r.status !== 200) console.log(JSON.stringify(r.json)); return r.json; };
const rec = async (c, d) => { const r = await api('POST', `/api/collections/${c}/records`, d, t); if (r.status !== 200) console.log(c, JSON.stringify(r.json)); return r.json; };
const uc = (await api('GET', '/api/collections/users2', null, t)).json;
const rel = (name, max = 1) => ({ name, type: 'relation', collectionId: uc.id, maxSelect: max });
const rules = {
  r_owner: "@request.auth.id != '' && owner = @request.auth.id",
  r_team: '@collection.members.user ?= @request.auth.id && @collection.members.team ?= team',
  r_hdr: '@request.headers.x_key = "open" || @request.query.k = "sesame"',
  r_role: "@request.auth.role = 'boss'",
  r_authrel: "@request.auth.members_via_user.role ?= 'admin' && @request.auth.members_via_user.team ?= team",
  r_meta: "@request.auth.collectionName = 'users2' && @request.auth.verified = false && @request.auth.emailVisibility = true",
  r_editor: "editors.id ?= @request.auth.id || owner = @request.auth.id",
  r_alleditors: "editors.id = @request.auth.id",
  r_lower: "@request.auth.name:lower = t:lower",
  r_method: "@request.method = 'GET' && @request.context = 'default'",
  r_null: "owner.name = null",
};
for (const [name, listRule] of Object.entries(rules)) {
  await mk({ name, type: 'base', listRule, viewRule: listRule, fields: [{ name: 't', type: 'text' }, rel('owner'), rel('editors', 5), { name: 'team', type: 'text' }] });
  await rec(name, { t: 'al', owner: ids.al, editors: [ids.al, ids.bo], team: 'red' });
  await rec(name, { t: 'bo', owner: ids.bo, editors: [ids.bo], team: 'blue' });
  await rec(name, { t: 'none', owner: '', editors: [], team: '' });
  await rec(name, { t: 'Al', owner: ids.al, editors: [ids.al], team: 'blue' });
}
// update-rule target
await mk({ name: 'r_upd', type: 'base', listRule: '', viewRule: '', updateRule: '', fields: [{ name: 't', type: 'text' }, { name: 'n', type: 'number' }, { name: 'ok', type: 'bool' }, rel('owner'), rel('editors', 5), { name: 'tags', type: 'select', values: ['a', 'b', 'c'], maxSelect: 3 }, { name: 'meta', type: 'json' }, { name: 'bad', type: 'select', values: ['ok'], maxSelect: 1 }] });
const u = await rec('r_upd', { t: 'hello', n: 5, ok: true, owner: ids.al, editors: [ids.al, ids.bo], tags: ['a', 'b'], meta: { x: 1 } });
fs.writeFileSync('upd_id.json', JSON.stringify({ id: u.id }));
console.log('ok');
