// Runs every case against the reference server and writes oracle.json.
import { api, su, login } from './h.mjs';
import fs from 'fs';
const ids = JSON.parse(fs.readFileSync('ids.json', 'utf8'));
const upd = JSON.parse(fs.readFileSync('upd_id.json', 'utf8'));
const AL = ids.al, BO = ids.bo, [P1, P2, P3, P4, P5] = ids.ids;
const tokens = { guest: undefined, su: await su(), al: await login('users2', 'al@example.com', 'pass12345'), bo: await login('users2', 'bo@example.com', 'pass12345') };
const labelOf = { posts: 'title', comments: 'msg', users2: 'name', bundles: 'label', details: 'info', members: 'id', profiles: 'bio', locked: 't' };
const sub = (s) => s.replaceAll('$AL', AL).replaceAll('$BO', BO).replaceAll('$P1', P1).replaceAll('$P2', P2);

const postFilters = [
  "title = 'beta'", "title = 'BETA'", 'n != 2', 'n > 1', 'n >= 1', 'n < 1', 'n <= 0', 'n = -1', 'n > 1.5', "n = '2'",
  "title ~ 'am'", "title ~ 'AL'", "title ~ 'G%ray'", "title ~ 'a_'", "title !~ 'a'", 'title = "beta"', "title = 'it\\'s 50%'",
  'title = "it\'s 50%"', 'n > 0 && ok = true', 'n = 1 || n = 3', '(n = 1 || n = 2) && ok = true', '((n = 1))',
  'n = 1 || n = 2 && n = 3', 'n = 3 && n = 1 || n = 2', 'n=1', '// a comment\n n   >=   3', 'ok = true', 'ok = false',
  'title = null', "title = ''", 'author = null', 'author != null', 'when = null', "when != ''", 'meta = null',
  "when >= '2020-01-01'", "when > '2020-01-01 00:00:00.000Z'", "when != '' && when < @now", 'when > @now',
  'created >= @todayStart && created <= @todayEnd', 'created > @yesterday && created < @tomorrow', 'created < @yesterday',
  "author.name = 'Al'", 'author.name = null', "editors.name ?= 'Bo'", "editors.name = 'Bo'", "editors.id ?= '$AL'",
  "editors.name ?!= 'Al'", "author.email = 'al@example.com'", "author.email = 'bo@example.com'",
  "comments_via_post.msg ?= 'second'", "comments_via_post.msg = 'third'", 'comments_via_post.id != null',
  "tags:each ?= 'a'", "tags:each = 'a'", "tags:each != 'c'", 'tags:length = 2', 'tags:length > 0', 'editors:length = 2',
  "title:lower = 'alpha'", "title:lower ~ 'gam'", "tags ~ 'b'", "tags ?~ 'b'", "tags !~ 'a'", "editors ~ '$BO'",
  "tags ?= 'a'", `tags = '["a","b"]'`, 'meta.k = 1', 'meta.k > 1', "meta.s = 'x'",
  'n = 1 &&', 'n ==== 1', '(n = 1', 'title =', '!(n = 1)', 'ok', 'nope = 1',
  // more
  "title ~ 'it\\'s'", 'title ~ "50%"', "title ~ '50\\%'", "title ~ '_'", "title !~ ''", "title ~ ''", 'title ~ null',
  'title = title', 'title != title', 'title ~ title', 'n = 1.0', "n = '1'", "n > '-1'", 'n = true', 'n = false', 'n = null',
  'n != null', "n != ''", 'n ~ 1', "n ~ '-'", 'n > n', '1 = 1', '1 = 2', "'a' = 'a'", "'' = null", 'null = null',
  'null != null', "'a' != null", 'n = 00001', 'n = -0', 'ok = 1', 'ok != true', "ok = 'true'", 'ok = null', 'ok != false',
  'title = 1', 'when < @now', 'when > @yesterday', "when = ''", 'when != null', "when ~ '2020'",
  "when >= '2020-01-01' && when < '2021'", "created > '2000'", "strftime('%Y', when) = '2020'", "strftime('%Y', when) = ''",
  "strftime('%Y-%m', created) = strftime('%Y-%m', @now)", "strftime('%Y') = strftime('%Y', @now)",
  "strftime('%Y', when, 'start of year') != null", "strftime('%Y', editors.name) = null",
  "status = 'x'", "status = ''", "status:each = 'x'", 'status:length = 1', "status:each ?= 'x'",
  "tags:each != 'a'", "tags:each ?!= 'a'", "tags:each ~ 'a'", 'tags:length >= 1 && tags:length <= 2', 'tags:length = 0',
  `tags ~ '"a"'`, `tags = '["a"]'`, "tags != '[]'", "tags:each > 'a'", "tags:each ?> 'a'", 'tags:each = tags:each',
  "tags:lower ~ 'A'", "author = ''", "author != ''", "author.id = '$AL'", "author.name != 'Al'", "author.name ~ 'l'",
  'author.age > 25', 'author.age = null', 'author.emailVisibility = true', 'author.verified = false', "author.password != ''",
  "author.tokenKey != ''", "editors.name = 'Al'", "editors.name != 'Al'", "editors.name ~ 'o'", "editors.name ?~ 'o'",
  'editors.age > 25', 'editors.age ?> 25', 'editors.age > 10', "editors.id = '$AL'", 'editors:length > 1',
  "editors:each = '$BO'", "editors:each ?= '$AL' && editors.name ?= 'Bo'", "editors.name ?= 'Al' && editors.name ?= 'Bo'",
  "editors.name ?= 'Al' || editors.name ?= 'Bo'", 'editors = null', 'editors.name = null', 'editors.name != null',
  'editors.name = author.name', 'editors.name ?= author.name', 'editors.age = editors.age', 'editors.age ?= editors.age',
  'author.name = editors.name', "editors.email ?= 'bo@example.com'", "editors.email ?= 'al@example.com'",
  "parent.title = 'Alpha'", "parent.parent.title = 'Alpha'", "parent.author.name = 'Al'", "parent.editors.name ?= 'Bo'",
  'parent.parent.parent.title = null', 'parent.id = id', "parent = ''", 'parent.parent.parent.parent.parent.parent.title = null',
  'parent.parent.parent.parent.parent.parent.parent.title = null', "parent.parent.parent.parent.parent.parent.id = ''",
  "comments_via_post.msg ?= 'first'", "comments_via_post.msg = 'first'", "comments_via_post.msg != 'first'",
  'comments_via_post.id = null', "comments_via_post.user.name ?= 'Bo'", "comments_via_post.user.name = 'Al'",
  'comments_via_post:length > 0', 'comments_via_post.post = id', "details_via_post.info = 'd-alpha'",
  "details_via_post.info != 'x'", 'details_via_post.id = null', "bundles_via_items.label ?= 'b2'", "bundles_via_items.label = 'b1'",
  'bundles_via_items.id != null', "bundles_via_items.label != 'b2'", "posts_via_parent.title ?= 'beta'", "posts_via_parent.title = ''",
  'posts_via_parent.n > 1', "comments_via_nope.msg = 'x'", "comments_via_user.msg = 'x'",
  'meta.k = null', 'meta.0 = 1', 'meta.1 = 2', "meta = '[1,2]'", "meta ~ 'k'", 'meta != null', 'meta.k != 1',
  'meta.k:lower = 1', 'meta.k ?= 1', 'loc.lon = 1', 'loc.lat > 1', 'loc.lon = 0', "meta = ''", 'meta.k > 0 && meta.k < 2',
  'geoDistance(loc.lon, loc.lat, 1, 2) < 1', 'geoDistance(loc.lon, loc.lat, 0, 0) > 100', 'geoDistance(1,2,3,4) < 1000',
  'geoDistance(loc.lon, loc.lat) > 1', "geoDistance('a',1,2,3) < 1", 'geoDistance(loc.lon, loc.lat, -1, -2) ?> 200',
  "title:lower ?= 'alpha'", "author.name:lower = 'al'", "editors.name:lower = 'bo'", 'created:year = 1',
  'title:isset = true', 'title:length = 5', "title:each = 'Alpha'", 'author.nope = 1', 'title.x = 1', "title:foo = 'x'",
  "id = '$P1'", "id != ''", "id ~ 'a' || id !~ 'a'", "@now > '2000'", '@second >= 0', '@weekday >= 0 && @weekday <= 6',
  '@todayStart < @todayEnd', '@monthStart <= @now', '@yearEnd > @now', '@yearStart < @monthEnd', '@month > 0 && @day > 0 && @hour >= 0 && @minute >= 0',
  "secret = 's1'", "secret != ''", 'unknown(1) = 1', 'strftime() = 1', 'strftime(title, created) = 1',
  'title ~ author.name', "'Alpha beta' ~ title", "'Alpha beta' !~ title", "profile.bio = 'al bio'", "profile.bio != 'x'",
  'profile.bio = null', "lock.t = 'x'", "lock.t != 'x'", "team = 'red'", 'team = null', "true = ok", "TRUE = ok", 'NULL = title',
  '(n = 1) (n = 2)', 'n=1 || (n=2) (n=3)', 'n = (ok = true)', 'n (ok = true)', '()', 'n=1 && ()', '(n=1 // )\n)',
  "(n = 1 // it's\n)", "n = 1 // it's", '@rowid > 2', '@random = 1', '#x = 1', '_x = 1', 'n = 1\r', '  ', "title = 'x' &&& n = 1",
  "title = 'a' || title = \"Alpha\" || title ?= 'beta'", 'n ?> 1', 'n ?= 2', "title ?!= 'Alpha'", "title ?~ 'al'",
  "author.name ?= 'Al'", "author.name ?!= 'Al'",
  'Array(201).fill', // placeholder replaced below
  'LONG',
];
const cases = [];
for (const f of postFilters) {
  let filter = f;
  if (f === 'Array(201).fill') filter = Array(201).fill('n = 1').join(' || ');
  if (f === 'LONG') filter = 'n = 1 || ' + "title = '" + 'x'.repeat(3500) + "'";
  for (const who of ['guest', 'su']) cases.push({ kind: 'list', who, coll: 'posts', filter: sub(filter) });
}
cases.push({ kind: 'list', who: 'guest', coll: 'posts', filter: Array(200).fill('n = 1').join(' || ') });
for (const f of ["@collection.comments.post ?= id", "@collection.comments.post = id", "@collection.comments:c.post ?= id && @collection.comments:c.msg ?= 'second'",
  "@collection.comments.post ?= id && @collection.comments.msg ?= 'third'", "@collection.members.team ?= team", "@collection.users2.age ?> n",
  "@collection.users2:u.name ?= 'Bo' && @collection.users2:u.id ?= editors.id", "@collection.nope.x = 1", "@request.auth.id != ''",
  "@request.auth.nope = 1", "@request.auth.name = 'x'", "@request.body.x = 1", "@request.query.filter != ''", "@request.query.perPage = 500",
  "@request.query.perPage = '500'", "@request.method = 'GET'", "@request.context = 'default'", "@request.auth.id = ''",
  "@request.auth.collectionName = '_superusers'", "@request.headers.x_key = 'open'", "@request.foo = 1", "@request.auth.email ~ 'admin'",
  "@request.query.perPage:isset = true", "@request.query.nope:isset = true", "@request.query.filter:lower ~ 'REQUEST'", "@request.query.x:each = 1",
  "@collection.comments.user.name ?= author.name", "@collection.details.post = id"]) {
  for (const who of ['guest', 'su']) cases.push({ kind: 'list', who, coll: 'posts', filter: f });
}
for (const who of ['guest', 'al', 'bo', 'su']) {
  for (const f of [undefined, "profile.bio = 'al bio'", "profile.bio != 'x'", 'profile.bio = null', "profile.owner.name = 'Bo'"]) cases.push({ kind: 'list', who, coll: 'posts', filter: f });
}
const other = {
  comments: ["post.title = 'Alpha'", "post.author.name = 'Al'", "user.email ~ 'al'", "post.comments_via_post.msg ?= 'third'", "post.editors.name ?= 'Bo'", "post.editors.name = 'Bo'", "user.members_via_user.role ?= 'admin'"],
  users2: ["email = 'bo@example.com'", "email ~ 'example'", "tokenKey != ''", "password != ''", "emailVisibility = true", "members_via_user.team ?= 'blue'", "members_via_user.role = 'admin'", "posts_via_author.title ?= 'Alpha'", "posts_via_editors.title ?= 'beta'", "posts_via_editors.title = 'Alpha'", "profiles_via_owner.bio ?= 'al bio'", "comments_via_user.post.title ?= 'beta'"],
  bundles: ["items.title ?= 'beta'", "items.title = 'Alpha'", 'items:length = 2', "items.author.name ?= 'Bo'", "items.comments_via_post.msg ?= 'second'", "items.title != 'beta'", 'items.n > 0', 'items.n ?> 1', "items ~ '$P2'", "items:each = '$P1'", "items:each ?= '$P2'"],
  details: ["post.title = 'Alpha'", "post.parent.title = 'beta'"],
  members: ["user.name = 'Bo' && role = 'admin'", "user.posts_via_author.title ?= 'beta'"],
};
for (const [coll, filters] of Object.entries(other)) for (const f of filters) for (const who of ['guest', 'su']) cases.push({ kind: 'list', who, coll, filter: sub(f) });
// sorts
for (const sort of ['title', '-title', '-n,title', 'author.name,title', '-author.name,title', 'title:lower', '-tags:length,title', 'meta.k,title', '@rowid', '-@rowid', 'nope', '', ' ', 'n,', 'editors.name,title', 'parent.title,title', '@request.auth.id', 'secret', '-secret,title', 'profile.bio,title', 'lock.t', '+n', 'comments_via_post.msg,title']) {
  for (const who of ['guest', 'su']) cases.push({ kind: 'list', who, coll: 'posts', sort });
}
// rule collections
const ruleColls = ['r_owner', 'r_team', 'r_hdr', 'r_role', 'r_authrel', 'r_meta', 'r_editor', 'r_alleditors', 'r_lower', 'r_method', 'r_null'];
for (const coll of ruleColls) {
  for (const who of ['guest', 'al', 'bo']) {
    for (const filter of [undefined, "team = 'red'", "editors.name ?= 'Bo'", "editors.name ?= 'Al'", "owner.name = 'Al'"]) cases.push({ kind: 'list', who, coll, filter });
  }
}
for (const who of ['guest', 'al']) {
  cases.push({ kind: 'list', who, coll: 'r_hdr', headers: { 'X-Key': 'open' } });
  cases.push({ kind: 'list', who, coll: 'r_hdr', query: { k: 'sesame' } });
  cases.push({ kind: 'list', who, coll: 'r_hdr', query: { k: 'nope' } });
}
// update rules with @request.body
const updates = [
  ['@request.body.t:isset = true', [{ t: 'x' }, { n: 1 }]],
  ['@request.body.t:changed = true', [{ t: 'hello' }, { t: 'x' }, {}]],
  ['@request.body.t:changed = false', [{ t: 'hello' }, { t: 'x' }, {}]],
  ['@request.body.n:changed = true', [{ n: '5' }, { n: 6 }, { n: 5 }, { n: 'abc' }]],
  ['@request.body.ok:changed = true', [{ ok: true }, { ok: false }]],
  ['@request.body.tags:changed = true', [{ tags: ['a', 'b'] }, { tags: ['b', 'a'] }, { tags: 'a' }]],
  ['@request.body.meta:changed = true', [{ meta: { x: 1 } }, { meta: { x: 2 } }]],
  ['@request.body.owner:changed = true', [{ owner: '$AL' }, { owner: '$BO' }]],
  ['@request.body.owner = @request.auth.id', [{ owner: '$AL' }, { owner: '$BO' }, {}]],
  ["@request.body.tags:each = 'a'", [{ tags: ['a'] }, { tags: ['a', 'b'] }, { tags: [] }, {}, { tags: 'a' }]],
  ["@request.body.tags:each ?= 'b'", [{ tags: ['a'] }, { tags: ['a', 'b'] }, { tags: [] }]],
  ['@request.body.tags:length > 1', [{ tags: ['a'] }, { tags: ['a', 'b'] }, {}]],
  ['@request.body.tags:length = 0', [{}, { tags: [] }, { tags: '' }]],
  ["@request.body.t:lower = 'abc'", [{ t: 'ABC' }, { t: 'x' }, {}]],
  ["@request.body.editors.name ?= 'Bo'", [{ editors: ['$AL', '$BO'] }, { editors: ['$AL'] }, {}]],
  ["@request.body.editors.name = 'Bo'", [{ editors: ['$AL', '$BO'] }, { editors: ['$BO'] }]],
  ["@request.body.owner.name = 'Al'", [{ owner: '$AL' }, { owner: '$BO' }, {}]],
  ['@request.body.meta.x = 2', [{ meta: { x: 2 } }, { meta: { x: 3 } }, {}]],
  ['@request.body.n > 3', [{ n: 5 }, { n: '7' }, { n: 'abc' }, { n: 1 }]],
  ["@request.body.unknown = 'x'", [{ unknown: 'x' }, {}]],
  ['@request.body.t = t', [{ t: 'hello' }, { t: 'x' }]],
  ['@request.body.n:isset = false', [{}, { n: 1 }]],
  ['@request.body.editors:each ?= @request.auth.id', [{ editors: ['$AL'] }, { editors: ['$BO'] }]],
  ['@request.body.t != null', [{ t: '' }, { t: 'x' }, {}]],
  ["@request.body.t ~ 'el'", [{ t: 'hello' }, { t: 'x' }]],
  ['@request.body.ok = true', [{ ok: true }, { ok: 'true' }, { ok: false }]],
  ['@request.body.t:each = 1', [{ t: 'x' }]],
  ['@request.body.t:length = 1', [{ t: 'x' }]],
  ["@request.body.nope:lower = 'x'", [{ nope: 'X' }]],
  ["@request.body.tags = '[\"a\",\"b\"]'", [{ tags: ['a', 'b'] }]],
  ["@request.method = 'PATCH' && @request.context = 'default'", [{}]],
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
// run list cases
for (const c of cases) {
  if (c.kind !== 'list') continue;
  const q = new URLSearchParams({ perPage: '500' });
  if (c.filter !== undefined) q.set('filter', c.filter);
  if (c.sort !== undefined) q.set('sort', c.sort);
  for (const [k, v] of Object.entries(c.query ?? {})) q.set(k, v);
  const headers = { 'content-type': 'application/json', ...(c.headers ?? {}) };
  if (tokens[c.who]) headers.authorization = tokens[c.who];
  const r = await fetch(`http://127.0.0.1:18098/api/collections/${c.coll}/records?${q}`, { headers });
  const json = await r.json();
  c.status = r.status;
  if (r.status === 200) c.labels = json.items.map((x) => x[labelOf[c.coll] ?? 't']);
}
// users and schema for the Rust side
const users = {};
for (const [name, id] of [['al', AL], ['bo', BO]]) users[name] = (await api('GET', `/api/collections/users2/records/${id}`, null, tokens.su)).json;
const collections = (await api('GET', '/api/collections?perPage=200', null, tokens.su)).json.items.filter((c) => !c.system && c.name !== 'users');
fs.writeFileSync('oracle.json', JSON.stringify({ users, collections, cases }, null, 1));
console.log(cases.length, 'cases');
