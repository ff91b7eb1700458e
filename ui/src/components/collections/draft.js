// The collection editor's draft: the API's collection JSON turned into form-friendly values
// (lists as comma separated text, rules as {locked, text}) and back, and the changes between
// the saved collection and the draft that the review dialog lists before saving.

export const RULE_KEYS = ["listRule", "viewRule", "createRule", "updateRule", "deleteRule"];
export const AUTH_RULE_KEYS = ["authRule", "manageRule"];

/** Field options that are lists in the API and comma separated text in the form. */
const LIST_OPTIONS = ["values", "mimeTypes", "thumbs", "exceptDomains", "onlyDomains"];
/** Field options that are numbers (date fields keep min/max as datetime text). */
const NUMBER_OPTIONS = ["min", "max", "maxSelect", "minSelect", "maxSize", "cost"];

export function csv(value) {
  if (Array.isArray(value)) return value;
  return String(value ?? "")
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
}

/** A field of the API as the form edits it. */
export function fieldToForm(field) {
  // JSON, not structuredClone: the field may be a reactive proxy of the collections store.
  const out = JSON.parse(JSON.stringify(field));
  for (const key of LIST_OPTIONS) if (Array.isArray(out[key])) out[key] = out[key].join(", ");
  return out;
}

/** A field of the form as the API takes it (empty numbers left out: the server's default). */
export function fieldFromForm(field) {
  const { _new, ...out } = field;
  for (const key of LIST_OPTIONS) if (key in out) out[key] = csv(out[key]);
  const numeric = out.type === "date" ? NUMBER_OPTIONS.filter((k) => k !== "min" && k !== "max") : NUMBER_OPTIONS;
  for (const key of numeric) {
    if (!(key in out)) continue;
    if (out[key] === "" || out[key] === null || out[key] === undefined) delete out[key];
    else out[key] = Number(out[key]);
  }
  if (!out.help) delete out.help;
  return out;
}

/** A rule as the form edits it: `null` is the lock (superusers only). */
export function ruleToForm(value, isNew) {
  return { locked: isNew ? true : value === null || value === undefined, text: value || "" };
}

export function ruleFromForm(rule) {
  return rule.locked ? null : rule.text;
}

/** A readable rule for reviews and the overview. */
export function describeRule(value) {
  if (value === null || value === undefined) return "superusers only";
  if (value === "") return "everyone";
  return value;
}

/**
 * What saving `next` over `saved` changes that deserves a second look: renamed and dropped
 * fields (dropping deletes their data), changed types, rules and the view query.
 */
export function reviewChanges(saved, next) {
  const changes = [];
  if (!saved) return changes;
  if (saved.name !== next.name) changes.push({ kind: "renamed collection", text: `${saved.name} → ${next.name}` });
  const nextById = new Map((next.fields || []).filter((f) => f.id).map((f) => [f.id, f]));
  for (const field of saved.fields || []) {
    const after = nextById.get(field.id);
    if (!after) {
      changes.push({ kind: "dropped field", danger: true, text: `${field.name} (${field.type}) and all its values` });
      continue;
    }
    if (after.name !== field.name) changes.push({ kind: "renamed field", text: `${field.name} → ${after.name}` });
    if (after.type !== field.type) changes.push({ kind: "changed type", danger: true, text: `${field.name}: ${field.type} → ${after.type}` });
  }
  for (const key of [...RULE_KEYS, ...AUTH_RULE_KEYS]) {
    if (!(key in next)) continue;
    const before = saved[key] ?? null;
    const after = next[key] ?? null;
    if (before !== after) changes.push({ kind: `${key} changed`, text: `${describeRule(before)} → ${describeRule(after)}` });
  }
  if (saved.type === "view" && (saved.viewQuery || "") !== (next.viewQuery || "")) {
    changes.push({ kind: "view query changed", text: next.viewQuery });
  }
  return changes;
}

/** A random token secret like the ones PocketBase generates (50 characters). */
export function randomSecret(length = 50) {
  const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(bytes, (byte) => alphabet[byte % alphabet.length]).join("");
}

/** A fresh index name for `table` (duplicates and new indexes need names unique per database). */
export function indexName(table, columns) {
  return `idx_${table}_${columns.join("_")}_${randomSecret(6)}`.replace(/[^A-Za-z0-9_]/g, "");
}

/** An index definition of `from` rewritten for the table `to`, under a fresh name. */
export function renameIndex(sql, from, to) {
  return sql
    .replace(/INDEX\s+(IF\s+NOT\s+EXISTS\s+)?[`"[]?[A-Za-z0-9_]+[`"\]]?/i, (_, ifNot) => `INDEX ${ifNot || ""}\`${indexName(to, [])}\``)
    .replace(new RegExp("ON\\s+[`\"[]?" + from + "[`\"\\]]?", "i"), `ON \`${to}\``);
}
