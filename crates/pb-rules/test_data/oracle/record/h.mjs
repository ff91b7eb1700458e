const BASE = 'http://127.0.0.1:18098';
export async function api(method, path, body, token) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = token;
  const r = await fetch(BASE + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const text = await r.text();
  let json; try { json = JSON.parse(text); } catch { json = text; }
  return { status: r.status, json };
}
export async function su() {
  const r = await api('POST', '/api/collections/_superusers/auth-with-password', { identity: 'admin@example.com', password: 'Passw0rd!123' });
  return r.json.token;
}
export async function login(coll, email, password) {
  const r = await api('POST', `/api/collections/${coll}/auth-with-password`, { identity: email, password });
  return r.json.token;
}
export async function list(coll, filter, token, extra = '') {
  const q = new URLSearchParams({ perPage: '500', ...(filter !== undefined ? { filter } : {}) });
  const r = await api('GET', `/api/collections/${coll}/records?${q}${extra}`, null, token);
  return r;
}
