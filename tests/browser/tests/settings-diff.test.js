// The import review's diff (ui/src/components/settings/collectionsDiff.js) as plain functions:
// which collections an import adds, changes and deletes, and the aligned side-by-side lines.
import { test } from "node:test";
import assert from "node:assert/strict";
import { diffCollections, diffLines } from "../../../ui/src/components/settings/collectionsDiff.js";

const users = { id: "_pb_users_auth_", name: "users", type: "auth", system: false, fields: [{ name: "email" }], created: "a" };
const posts = { id: "pbc_1", name: "posts", type: "base", system: false, fields: [{ name: "title" }], created: "a" };
const params = { id: "pbc_sys", name: "_params", type: "base", system: true, fields: [] };

test("collections match by id, then by name; timestamps are ignored", () => {
  const incoming = [
    { ...users, created: "b", updated: "c" },
    { name: "posts", fields: [{ name: "title" }, { name: "body" }] },
    { name: "tags", fields: [] },
  ];
  const changes = diffCollections([users, posts, params], incoming, false);
  assert.deepEqual(
    changes.map((c) => [c.kind, c.name]),
    [
      ["changed", "posts"],
      ["added", "tags"],
    ],
  );
});

test("deletions are listed only with deleteMissing, and never for system collections", () => {
  assert.deepEqual(diffCollections([users, posts, params], [users], false), []);
  const changes = diffCollections([users, posts, params], [users], true);
  assert.deepEqual(changes.map((c) => [c.kind, c.name]), [["deleted", "posts"]]);
});

test("the side-by-side lines stay aligned and mark what each side lacks", () => {
  const { left, right } = diffLines(posts, { ...posts, fields: [{ name: "title" }, { name: "body" }] });
  assert.equal(left.length, right.length);
  const added = right.filter((line) => line.kind === "added").map((line) => line.text.trim());
  assert.ok(added.includes('"name": "body"'), JSON.stringify(added));
  assert.equal(left.filter((line) => line.kind === "removed").length, 0);
  for (const [index, line] of right.entries()) {
    if (line.kind === "added") assert.equal(left[index].kind, "gap");
    if (line.kind === "same") assert.equal(left[index].text, line.text);
  }
});
