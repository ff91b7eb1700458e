// usage: node q.mjs [--as su|guest|al|bo] [--coll posts] [--sql] filter...
import { list, su, login } from './h.mjs';
import fs from 'fs';
const args = process.argv.slice(2);
let who = 'guest', coll = 'posts', showSql = false, sort = '';
const filters = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--as') who = args[++i];
  else if (args[i] === '--coll') coll = args[++i];
  else if (args[i] === '--sql') showSql = true;
  else if (args[i] === '--sort') sort = args[++i];
  else filters.push(args[i]);
}
let token;
if (who === 'su') token = await su();
else if (who === 'al') token = await login('users2', 'al@example.com', 'pass12345');
else if (who === 'bo') token = await login('users2', 'bo@example.com', 'pass12345');
for (const f of filters) {
  const before = fs.statSync('server.log').size;
  const r = await list(coll, f, token, sort ? '&sort=' + encodeURIComponent(sort) : '');
  let out;
  if (r.status === 200) out = r.json.items.map((x) => (x.title ?? x.msg ?? x.name ?? x.id) || '<empty>').join(' | ');
  else out = `${r.status} ${JSON.stringify(r.json)}`;
  console.log(`${f}\n   => [${out}]`);
  if (showSql) {
    await new Promise((res) => setTimeout(res, 100));
    const log = fs.readFileSync('server.log', 'utf8').slice(before);
    for (const line of log.split('\n')) if (line.includes('SELECT') && !line.includes('count(') && !line.includes('_collections') && !line.includes('_superusers') && !line.includes('_params')) console.log('   SQL ' + line);
  }
}
