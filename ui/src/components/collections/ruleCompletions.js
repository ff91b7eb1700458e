// Completions for the API rules editor: given the text before the cursor, what may come next.
// Plain functions over the collections list (no DOM), so the suggestions follow the schema the
// server holds: fields, relation paths (through relation fields and `other_via_field`
// back-relations), @request.*, @collection.*, modifiers, macros and functions.

/** Datetime macros of the filter language. */
export const MACROS = [
  "@now",
  "@second",
  "@minute",
  "@hour",
  "@weekday",
  "@day",
  "@month",
  "@year",
  "@yesterday",
  "@tomorrow",
  "@todayStart",
  "@todayEnd",
  "@monthStart",
  "@monthEnd",
  "@yearStart",
  "@yearEnd",
];

/** Field modifiers; `:changed` and `:isset` only mean something on @request.body fields. */
export const MODIFIERS = [":isset", ":changed", ":length", ":each", ":lower"];

export const FUNCTIONS = ["geoDistance(", "strftime("];

const REQUEST = [
  "@request.auth.",
  "@request.body.",
  "@request.query.",
  "@request.headers.",
  "@request.method",
  "@request.context",
];

/** How many suggestions the list shows at most. */
const LIMIT = 40;

/** The identifier-like text right before `cursor` (what a completion replaces). */
export function tokenBefore(text, cursor) {
  let start = cursor;
  while (start > 0 && /[A-Za-z0-9_.@:(]/.test(text[start - 1])) {
    // A "(" only belongs to the token when it ends it (a function just typed).
    if (text[start - 1] === "(" && start !== cursor) break;
    start -= 1;
  }
  return { start, token: text.slice(start, cursor) };
}

/** The fields a rule may name (password hashes are never filterable). */
function fieldsOf(collection) {
  return (collection?.fields || []).filter((field) => field.name && field.type !== "password");
}

/** Back-relations into `collection`: `other_via_field` for each relation field pointing at it. */
function backRelations(collection, all) {
  const out = [];
  for (const other of all) {
    for (const field of fieldsOf(other)) {
      if (field.type === "relation" && field.collectionId === collection.id) {
        out.push({ name: `${other.name}_via_${field.name}`, target: other });
      }
    }
  }
  return out;
}

/** The collection a dotted path (without the last segment) leads to, or null. */
function resolvePath(collection, segments, all) {
  let current = collection;
  for (const segment of segments) {
    if (!current) return null;
    const name = segment.split(":")[0];
    const field = fieldsOf(current).find((f) => f.name === name);
    if (field) {
      current = field.type === "relation" ? all.find((c) => c.id === field.collectionId) || null : null;
      continue;
    }
    const back = backRelations(current, all).find((b) => b.name === name);
    current = back ? back.target : null;
  }
  return current;
}

/** The names that may follow `prefix` inside `collection`: fields, `rel.` and back-relations. */
function members(collection, all, { relations = true } = {}) {
  const out = [];
  for (const field of fieldsOf(collection)) {
    out.push(field.name);
    if (relations && field.type === "relation") out.push(`${field.name}.`);
  }
  if (relations) for (const back of backRelations(collection, all)) out.push(`${back.name}.`);
  return out;
}

/** Fields any auth collection has, as @request.auth.* completions. */
function authMembers(all) {
  const names = new Set(["collectionId", "collectionName"]);
  for (const collection of all.filter((c) => c.type === "auth")) {
    for (const name of members(collection, all)) names.add(name);
  }
  return [...names];
}

/** Completions of a dotted path relative to `collection`, each the full replacement text. */
function pathCompletions(lead, path, collection, all, options) {
  const segments = path.split(".");
  const last = segments.pop();
  const target = segments.length ? resolvePath(collection, segments, all) : collection;
  if (!target) return [];
  const head = lead + segments.map((s) => s + ".").join("");
  if (last.includes(":")) {
    const name = last.split(":")[0];
    if (!fieldsOf(target).some((f) => f.name === name)) return [];
    return MODIFIERS.map((modifier) => head + name + modifier);
  }
  return members(target, all, options).map((name) => head + name);
}

/**
 * The suggestions for `token` (see tokenBefore) in a rule of `collection`, best first.
 * Each is the text that replaces the token.
 */
export function completions(token, collection, all) {
  if (!token) return [];
  const lower = token.toLowerCase();
  let candidates = [];
  if (token.startsWith("@request.auth.")) {
    const rest = token.slice("@request.auth.".length);
    if (rest.includes(".")) {
      // Deeper than one level: follow the relation in whichever auth collection has it.
      for (const auth of all.filter((c) => c.type === "auth")) {
        candidates.push(...pathCompletions("@request.auth.", rest, auth, all));
      }
    } else if (rest.includes(":")) {
      candidates = MODIFIERS.map((modifier) => "@request.auth." + rest.split(":")[0] + modifier);
    } else {
      candidates = authMembers(all).map((name) => "@request.auth." + name);
    }
  } else if (token.startsWith("@request.body.")) {
    const rest = token.slice("@request.body.".length);
    candidates = pathCompletions("@request.body.", rest, collection, all, { relations: false });
  } else if (token.startsWith("@collection.")) {
    const rest = token.slice("@collection.".length);
    const dot = rest.indexOf(".");
    if (dot < 0) {
      candidates = all.map((c) => `@collection.${c.name}.`);
    } else {
      const name = rest.slice(0, dot).split(":")[0];
      const other = all.find((c) => c.name === name);
      if (other) candidates = pathCompletions(`@collection.${rest.slice(0, dot)}.`, rest.slice(dot + 1), other, all);
    }
  } else if (token.startsWith("@")) {
    candidates = [...REQUEST, "@collection.", ...MACROS];
  } else {
    candidates = [...pathCompletions("", token, collection, all), ...FUNCTIONS];
  }
  const seen = new Set();
  return candidates
    .filter((text) => text.toLowerCase().startsWith(lower) && text !== token && !seen.has(text) && seen.add(text))
    .slice(0, LIMIT);
}
