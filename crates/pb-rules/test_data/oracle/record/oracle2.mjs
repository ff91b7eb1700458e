import { api, su, login } from './h.mjs';
import fs from 'fs';
const ids = JSON.parse(fs.readFileSync('ids.json', 'utf8'));
const upd = JSON.parse(fs.readFileSync('upd_id.json', 'utf8'));
const AL = ids.al, BO = ids.bo, [P1, P2] = ids.ids;
const tokens = { guest: undefined, su: await su(), al: await login('users2', 'al@example.com', 'pass12345'), bo: await login('users2', 'bo@example.com', 'pass12345') };
const labelOf = { posts: 'title', comments: 'msg', users2: 'name', bundles: 'label', details: 'info', members: 'id', profiles: 'bio', locked: 't' };
const sub = (s) => s.replaceAll('$AL', AL).replaceAll('$BO', BO).replaceAll('$P1', P1).replaceAll('$P2', P2);
const cases = [];
const add = (coll, filters, whos = ['guest', 'su']) => { for (const f of filters) for (const who of whos) cases.push({ kind: 'list', who, coll, filter: sub(f) }); };
add('posts', [
  "@collection.posts.tags:each ?= 'c'", "@collection.bundles.items:length ?> 1", "@collection.bundles.items ?~ id",
  "author.profiles_via_owner.bio ?= 'al bio'", "details_via_post.info = null", "details_via_post.info ?= null", "editors.id != '$AL'", "editors.id ?!= '$AL'",
  "strftime('%Y', @now) = strftime('%Y', created)", "geoDistance(loc.lon, loc.lat, @second, 0) > 0", "title:lower = @request.auth.name:lower",
  "@request.body.x:isset = false", "@request.auth.verified = false", "Null = title", "title > 5", "n ~ '1'", "meta.k ~ 1", "tags:each ~ '%'",
  "when ?= null", "comments_via_post.user.email ?= 'al@example.com'", "comments_via_post.user.email ?= 'bo@example.com'", "author.email ~ 'example'",
  "posts_via_parent.posts_via_parent.title ?= 'Gamma ray'", "parent.comments_via_post.msg ?= 'third'", "bundles_via_items.items:length = 2",
  "parent.id != ''", "id = parent.id", "meta:lower = 'x'", "meta:each = 1", "loc = null", "loc.lon:lower = 1", "editors.name:lower ?= 'bo'",
  "editors:each != '$AL'", "editors:each ?!= '$AL'", "tags:length = editors:length", "editors.age > author.age", "editors.age ?> author.age",
  "comments_via_post.msg = comments_via_post.msg", "comments_via_post.msg ?= @collection.comments.msg", "author.name ?= @collection.users2.name",
  "@collection.users2.name = author.name", "@collection.comments.msg ~ 'i'", "@collection.comments.msg !~ 'x'", "author = @collection.users2.id",
  "n = @collection.users2.age", "strftime('%s', created) > 0", "strftime('%Y', created, 'unknown mod') = null", "strftime('%Y', 1700000000) = '2026'",
  "strftime('%Y', 1700000000, 'unixepoch') = '2023'", "strftime('%Y', '2020-01-01') = '2020'", "strftime('%Y', null) = null",
  "geoDistance(null, 1, 2, 3) = null", "geoDistance(loc.lon, loc.lat, loc.lon, loc.lat) = 0", "geoDistance(editors.age, 1, 2, 3) > 0",
  "title ~ 'ALPHA' && title !~ 'ALPHA'", "title ~ '\\\\'", "title ~ '%'", "title ~ '%%'", "title ~ '\\\\%'", "title !~ '%50\\\\%'", "title ~ '50\\\\%'",
  "n >= '1' && n <= '2'", "n = '1.0'", "n = ' 1'", "n = 'abc'", "title = 'Alpha' && n = '1' || ok = 'true'",
  "created = created", "created != created", "created ~ created", "'' = ''", "'' != ''", "'' = null", "null != ''", "null = 0", "0 = null", "0 = ''", "false = null", "false = ''",
  "ok = ''", "ok != ''", "ok != null", "author != ''", "author ?= ''", "author.name ?= ''", "editors.name ?= ''", "editors.name = ''", "editors.name != ''",
  "@request.query.perPage:lower = '500'", "@request.query.filter:isset = true", "@request.auth.collectionId = 'pbc_3142635823'", "@request.auth.email = 'admin@example.com'",
  "@request.auth.emailVisibility = false", "@request.auth.tokenKey != ''", "@request.auth.password != ''", "@request.context != 'x'",
]);
add('comments', ["post.profile.bio = 'al bio'", "post.profile.bio != 'x'", "user.profiles_via_owner.bio ?= 'bo bio'", "post.lock.t = 'x'", "post.parent.profile.bio ?= 'al bio'"], ['guest', 'al', 'su']);
add('users2', ["email:lower = 'bo@example.com'", "email:lower ~ 'example'", "profiles_via_owner.bio ?= 'al bio'", "profiles_via_owner.bio = null", "posts_via_author.profile.bio ?= 'al bio'", "email = @collection.users2.email"], ['guest', 'al', 'su']);
const updates = [
  ['@request.body.owner:isset = false || @request.body.owner = @request.auth.id', [{ owner: '$AL' }, { owner: '$BO' }, {}]],
  ['@request.body.editors:length <= 2 && @request.body.editors:each ?= @request.auth.id', [{ editors: ['$AL'] }, { editors: ['$AL', '$BO'] }, { editors: ['$BO'] }]],
  ["@request.body.owner.role = 'boss'", [{ owner: '$AL' }, { owner: '$BO' }]],
  ["@request.body.editors.role ?= 'boss'", [{ editors: ['$BO', '$AL'] }, { editors: ['$BO'] }]],
  ["@request.body.editors.role = 'boss'", [{ editors: ['$BO', '$AL'] }, { editors: ['$AL'] }]],
  ['@request.body.editors:changed = true', [{ editors: ['$AL', '$BO'] }, { editors: ['$BO', '$AL'] }, { editors: ['$AL'] }]],
  ['@request.body.t:lower:changed = true', [{ t: 'x' }]],
  ['@request.body.t:changed = true && t = "hello"', [{ t: 'x' }, {}]],
  ['@request.body.tags:each = tags:each', [{ tags: ['a'] }, { tags: ['a', 'b'] }, { tags: ['c'] }]],
  ['@request.body.tags:each ?= tags:each', [{ tags: ['a'] }, { tags: ['c'] }]],
  ["@request.body.meta.x:isset = true", [{ meta: { x: 1 } }, { meta: { y: 1 } }]],
  ['@request.body.n = n', [{ n: 5 }, { n: '5' }, { n: 5.5 }]],
  ["@request.body.t ~ t", [{ t: 'ell' }, { t: 'x' }]],
  ["t ~ @request.body.t", [{ t: 'ell' }, { t: 'x' }, { t: '' }]],
  ['@request.body.ok != ok', [{ ok: true }, { ok: false }]],
  ["@request.auth.id = owner && @request.body.t != ''", [{ t: 'x' }, { t: '' }]],
  ["@request.body.editors ~ @request.auth.id", [{ editors: ['$AL'] }, { editors: ['$BO'] }]],
  ["@request.body.tags ~ 'b'", [{ tags: ['a', 'b'] }, { tags: ['a'] }]],
  ["@request.body.tags:lower ~ 'B'", [{ tags: ['a', 'b'] }]],
];
const bodySub = (b) => JSON.parse(sub(JSON.stringify(b)));
for (const [rule, bodies] of updates) {
  const r = await api('PATCH', '/api/collections/r_upd', { updateRule: rule }, tokens.su);
  if (r.status !== 200) { cases.push({ kind: 'update', who: 'al', rule, body: {}, status: r.status, ruleInvalid: true }); continue; }
  for (const body of bodies) for (const who of ['al', 'guest']) {
    const b = { ...bodySub(body), bad: 'zzz' };
    const res = await api('PATCH', `/api/collections/r_upd/records/${upd.id}`, b, tokens[who]);
    cases.push({ kind: 'update', who, rule, body: b, status: res.status });
  }
}
await api('PATCH', '/api/collections/r_upd', { updateRule: '' }, tokens.su);
for (const c of cases) {
  if (c.kind !== 'list') continue;
  const q = new URLSearchParams({ perPage: '500' });
  if (c.filter !== undefined) q.set('filter', c.filter);
  const headers = { 'content-type': 'application/json' };
  if (tokens[c.who]) headers.authorization = tokens[c.who];
  const r = await fetch(`http://127.0.0.1:18098/api/collections/${c.coll}/records?${q}`, { headers });
  const json = await r.json();
  c.status = r.status;
  if (r.status === 200) c.labels = json.items.map((x) => x[labelOf[c.coll] ?? 't']);
}
fs.writeFileSync('oracle2.json', JSON.stringify(cases));
console.log(cases.length);
