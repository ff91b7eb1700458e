// The rules editor's completion logic (ui/src/components/collections/ruleCompletions.js) as
// plain functions, without a browser: which suggestions each kind of token gets.
import { test } from "node:test";
import assert from "node:assert/strict";
import { completions, tokenBefore, MACROS } from "../../../ui/src/components/collections/ruleCompletions.js";

const users = {
  id: "u1",
  name: "users",
  type: "auth",
  fields: [
    { name: "id", type: "text" },
    { name: "password", type: "password" },
    { name: "email", type: "email" },
    { name: "team", type: "relation", collectionId: "t1" },
  ],
};
const teams = { id: "t1", name: "teams", type: "base", fields: [{ name: "id", type: "text" }, { name: "title", type: "text" }] };
const posts = {
  id: "p1",
  name: "posts",
  type: "base",
  fields: [
    { name: "id", type: "text" },
    { name: "title", type: "text" },
    { name: "author", type: "relation", collectionId: "u1" },
  ],
};
const comments = {
  id: "c1",
  name: "comments",
  type: "base",
  fields: [
    { name: "id", type: "text" },
    { name: "post", type: "relation", collectionId: "p1" },
  ],
};
const all = [users, teams, posts, comments];

test("the token is the identifier-like text before the cursor", () => {
  assert.deepEqual(tokenBefore('title = "x" && author.em', 24), { start: 15, token: "author.em" });
  assert.deepEqual(tokenBefore("@request.auth.id", 16), { start: 0, token: "@request.auth.id" });
  assert.deepEqual(tokenBefore("a = (ti", 7), { start: 5, token: "ti" });
  assert.deepEqual(tokenBefore("x ", 2), { start: 2, token: "" });
});

test("fields, relation paths and back-relations of the collection", () => {
  assert.deepEqual(completions("t", posts, all), ["title"]);
  assert.deepEqual(completions("auth", posts, all), ["author", "author."]);
  assert.deepEqual(completions("author.", posts, all), [
    "author.id",
    "author.email",
    "author.team",
    "author.team.",
    "author.posts_via_author.",
  ]);
  assert.deepEqual(completions("author.team.t", posts, all), ["author.team.title"]);
  assert.deepEqual(completions("comm", posts, all), ["comments_via_post."]);
  assert.deepEqual(completions("comments_via_post.p", posts, all), ["comments_via_post.post", "comments_via_post.post."]);
  assert.deepEqual(completions("nope.", posts, all), []);
  assert.deepEqual(completions("s", posts, all), ["strftime("]);
  assert.deepEqual(completions("geo", posts, all), ["geoDistance("]);
});

test("modifiers after a field name", () => {
  assert.deepEqual(completions("title:", posts, all), ["title:isset", "title:changed", "title:length", "title:each", "title:lower"]);
  assert.deepEqual(completions("title:l", posts, all), ["title:length", "title:lower"]);
  assert.deepEqual(completions("@request.body.title:ch", posts, all), ["@request.body.title:changed"]);
  assert.deepEqual(completions("nope:", posts, all), []);
});

test("@request, @collection and the macros", () => {
  assert.deepEqual(completions("@req", posts, all), [
    "@request.auth.",
    "@request.body.",
    "@request.query.",
    "@request.headers.",
    "@request.method",
    "@request.context",
  ]);
  assert.deepEqual(completions("@request.auth.", posts, all), [
    "@request.auth.collectionId",
    "@request.auth.collectionName",
    "@request.auth.id",
    "@request.auth.email",
    "@request.auth.team",
    "@request.auth.team.",
    "@request.auth.posts_via_author.",
  ]);
  assert.deepEqual(completions("@request.auth.team.ti", posts, all), ["@request.auth.team.title"]);
  assert.deepEqual(completions("@request.body.a", posts, all), ["@request.body.author"]);
  assert.deepEqual(completions("@collection.t", posts, all), ["@collection.teams."]);
  assert.deepEqual(completions("@collection.teams.t", posts, all), ["@collection.teams.title"]);
  assert.deepEqual(completions("@collection.teams:alias.t", posts, all), ["@collection.teams:alias.title"]);
  assert.deepEqual(completions("@today", posts, all), ["@todayStart", "@todayEnd"]);
  assert.ok(MACROS.every((macro) => completions("@", posts, all).includes(macro)));
});
