// The collections import review: which collections an import adds, changes or deletes, and a
// line diff of one collection's JSON for a side-by-side view. Pure functions, no DOM.

/** The JSON compared for a collection: its definition without timestamps, keys sorted. */
export function normalized(collection) {
  const { created, updated, ...rest } = collection || {};
  return JSON.stringify(sortKeys(rest), null, 2);
}

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortKeys(value[key])]));
  }
  return value;
}

/**
 * The changes importing `incoming` over `current` makes: [{key, kind, name, before, after}]
 * with kind "added" | "changed" | "deleted". Collections match by id, else by name (as the
 * server matches them); unchanged ones are left out; deletions only with `deleteMissing`.
 */
export function diffCollections(current, incoming, deleteMissing) {
  const changes = [];
  const matched = new Set();
  for (const next of incoming) {
    const before = current.find((c) => (next.id && c.id === next.id) || c.name === next.name);
    if (!before) {
      changes.push({ key: `+${next.id || next.name}`, kind: "added", name: next.name, before: null, after: next });
      continue;
    }
    matched.add(before.id);
    // Compare only what the import sets: keys it leaves out keep their current values.
    const merged = { ...before, ...next };
    if (normalized(before) !== normalized(merged)) {
      changes.push({ key: `~${before.id}`, kind: "changed", name: next.name, before, after: merged });
    }
  }
  if (deleteMissing) {
    for (const before of current) {
      if (!matched.has(before.id) && !before.system) {
        changes.push({ key: `-${before.id}`, kind: "deleted", name: before.name, before, after: null });
      }
    }
  }
  return changes;
}

/**
 * A side-by-side line diff of two collections' JSON (longest common subsequence of lines):
 * {left, right} lists of {text, kind} with kind "same", "removed" (left only) or "added"
 * (right only); the two lists are padded with empty "gap" lines to stay aligned.
 */
export function diffLines(before, after) {
  const a = normalized(before).split("\n");
  const b = normalized(after).split("\n");
  const lcs = Array.from({ length: a.length + 1 }, () => new Array(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const left = [];
  const right = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      left.push({ text: a[i++], kind: "same" });
      right.push({ text: b[j++], kind: "same" });
    } else if (j < b.length && (i >= a.length || lcs[i][j + 1] >= lcs[i + 1][j])) {
      left.push({ text: "", kind: "gap" });
      right.push({ text: b[j++], kind: "added" });
    } else {
      left.push({ text: a[i++], kind: "removed" });
      right.push({ text: "", kind: "gap" });
    }
  }
  return { left, right };
}
