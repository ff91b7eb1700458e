// The collections area of the dashboard: the collection editor with every field type and its
// options, the rules editor's autocomplete, the changes review before a rename, duplicate /
// truncate / delete behind typed confirmations, auth options, the rules overview and the API
// preview. Each test checks the page and what the API holds afterwards, and saves a screenshot.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "../lib/server.js";
import { launchBrowser, openPage, screenshot } from "../lib/browser.js";
import { login, adminClient } from "../lib/ui.js";

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** Console problems other than the 400s the live checks and failed saves log on purpose. */
function realProblems(page) {
  return page.problems.filter((text) => !text.includes("400"));
}

async function addField(page, name, type) {
  await page.getByRole("button", { name: "Add field" }).click();
  const fieldset = page.locator("fieldset").last();
  await fieldset.getByLabel("Field name").fill(name);
  await fieldset.getByLabel("Field type").selectOption(type);
  return fieldset;
}

async function unlock(page, rule) {
  await page.locator(`#rule-${rule}`).locator("..").getByLabel("Superusers only").uncheck();
}

test("a collection with one field of every type, their options and rules, created through the editor", async () => {
  const server = await startServer({ superuser: true });
  try {
    const admin = await adminClient(server.url);
    const authors = await admin.collections.create({ name: "authors", type: "base", fields: [{ name: "name", type: "text" }] });
    const page = await openPage(browser);
    await login(page, server.url);
    await page.getByRole("link", { name: "+ New collection" }).click();
    await page.getByLabel("Name", { exact: true }).fill("everything");

    const title = await addField(page, "title", "text");
    await title.getByLabel("Min", { exact: true }).fill("2");
    await title.getByLabel("Max", { exact: true }).fill("100");
    await title.getByLabel("Pattern (regex)").fill("^[a-z ]+$");
    await title.getByLabel("Required").check();
    await title.getByLabel("Presentable").check();
    await title.getByLabel("Help text").fill("A lower-case title");
    const code = await addField(page, "code", "text");
    await code.getByLabel("Autogenerate pattern").fill("[a-z]{8}");
    const body = await addField(page, "body", "editor");
    await body.getByLabel("Max size (bytes)").fill("5000");
    await body.getByLabel("Convert URLs").check();
    const score = await addField(page, "score", "number");
    await score.getByLabel("Min", { exact: true }).fill("0");
    await score.getByLabel("Max", { exact: true }).fill("10");
    await score.getByLabel("Integers only").check();
    await addField(page, "active", "bool");
    const contact = await addField(page, "contact", "email");
    await contact.getByLabel("Only domains (comma separated)").fill("example.com, example.org");
    const site = await addField(page, "site", "url");
    await site.getByLabel("Except domains (comma separated)").fill("bad.test");
    const due = await addField(page, "due", "date");
    await due.getByLabel("Min", { exact: true }).fill("2024-01-01 00:00:00.000Z");
    await due.getByLabel("Max", { exact: true }).fill("2030-01-01 00:00:00.000Z");
    const stamp = await addField(page, "stamp", "autodate");
    await stamp.getByLabel("Set on create").check();
    await stamp.getByLabel("Set on update").check();
    const status = await addField(page, "status", "select");
    await status.getByLabel("Choices (comma separated)").fill("draft, live, archived");
    await status.getByLabel("Max select").fill("2");
    const files = await addField(page, "attachments", "file");
    await files.getByLabel("Max select").fill("3");
    await files.getByLabel("Max size (bytes)").fill("1048576");
    await files.getByLabel("Mime types (comma separated)").fill("image/png, text/plain");
    await files.getByLabel("Thumb sizes (comma separated)").fill("100x100, 0x300");
    await files.getByLabel("Protected").check();
    const author = await addField(page, "author", "relation");
    await author.getByLabel("Related collection").selectOption({ label: "authors" });
    await author.getByLabel("Min select").fill("1");
    await author.getByLabel("Max select").fill("1");
    await author.getByLabel("Cascade delete").check();
    const meta = await addField(page, "meta", "json");
    await meta.getByLabel("Max size (bytes)").fill("2000");
    await meta.getByLabel("Hidden").check();
    const secret = await addField(page, "secret", "password");
    await secret.getByLabel("Min", { exact: true }).fill("10");
    await secret.getByLabel("Max", { exact: true }).fill("60");
    await secret.getByLabel("Bcrypt cost").fill("11");
    await addField(page, "location", "geoPoint");

    // Reorder: move "location" up above "secret".
    await page.getByRole("button", { name: "Move field location up" }).click();
    assert.equal(await page.locator("fieldset").last().getByLabel("Field name").inputValue(), "secret");

    // A unique index on code.
    await page.getByRole("group", { name: "New index" }).getByLabel("code", { exact: true }).check();
    await page.getByRole("group", { name: "New index" }).getByLabel("Unique").check();
    await page.getByRole("button", { name: "Add index" }).click();

    await unlock(page, "listRule");
    await page.locator("#rule-listRule").fill('@request.auth.id != ""');
    await unlock(page, "viewRule");
    await unlock(page, "createRule");
    await page.locator("#rule-createRule").fill("@request.body.score:isset = true");
    await screenshot(page, "collections-every-field");
    await page.getByRole("button", { name: "Create collection" }).click();
    await page.getByRole("heading", { name: "everything", exact: true }).waitFor();

    const saved = await admin.collections.getOne("everything");
    const fields = saved.fields.map(({ id, ...rest }) => rest);
    const pick = (name, keys) => {
      const field = fields.find((f) => f.name === name);
      assert.ok(field, `no field ${name}`);
      return Object.fromEntries(keys.map((key) => [key, field[key]]));
    };
    assert.deepEqual(
      fields.map((f) => [f.name, f.type]),
      [
        ["id", "text"],
        ["title", "text"],
        ["code", "text"],
        ["body", "editor"],
        ["score", "number"],
        ["active", "bool"],
        ["contact", "email"],
        ["site", "url"],
        ["due", "date"],
        ["stamp", "autodate"],
        ["status", "select"],
        ["attachments", "file"],
        ["author", "relation"],
        ["meta", "json"],
        ["location", "geoPoint"],
        ["secret", "password"],
      ],
    );
    assert.deepEqual(pick("title", ["min", "max", "pattern", "required", "presentable", "help"]), {
      min: 2,
      max: 100,
      pattern: "^[a-z ]+$",
      required: true,
      presentable: true,
      help: "A lower-case title",
    });
    assert.equal(pick("code", ["autogeneratePattern"]).autogeneratePattern, "[a-z]{8}");
    assert.deepEqual(pick("body", ["maxSize", "convertURLs"]), { maxSize: 5000, convertURLs: true });
    assert.deepEqual(pick("score", ["min", "max", "onlyInt"]), { min: 0, max: 10, onlyInt: true });
    assert.deepEqual(pick("contact", ["onlyDomains", "exceptDomains"]), { onlyDomains: ["example.com", "example.org"], exceptDomains: [] });
    assert.deepEqual(pick("site", ["exceptDomains"]), { exceptDomains: ["bad.test"] });
    assert.deepEqual(pick("due", ["min", "max"]), { min: "2024-01-01 00:00:00.000Z", max: "2030-01-01 00:00:00.000Z" });
    assert.deepEqual(pick("stamp", ["onCreate", "onUpdate"]), { onCreate: true, onUpdate: true });
    assert.deepEqual(pick("status", ["values", "maxSelect"]), { values: ["draft", "live", "archived"], maxSelect: 2 });
    assert.deepEqual(pick("attachments", ["maxSelect", "maxSize", "mimeTypes", "thumbs", "protected"]), {
      maxSelect: 3,
      maxSize: 1048576,
      mimeTypes: ["image/png", "text/plain"],
      thumbs: ["100x100", "0x300"],
      protected: true,
    });
    assert.deepEqual(pick("author", ["collectionId", "minSelect", "maxSelect", "cascadeDelete"]), {
      collectionId: authors.id,
      minSelect: 1,
      maxSelect: 1,
      cascadeDelete: true,
    });
    assert.deepEqual(pick("meta", ["maxSize", "hidden"]), { maxSize: 2000, hidden: true });
    assert.deepEqual(pick("secret", ["min", "max", "cost"]), { min: 10, max: 60, cost: 11 });
    assert.equal(saved.indexes.length, 1);
    assert.match(saved.indexes[0], /^CREATE UNIQUE INDEX `idx_everything_code_\w+` ON `everything` \(`code`\)$/);
    assert.equal(saved.listRule, '@request.auth.id != ""');
    assert.equal(saved.viewRule, "");
    assert.equal(saved.createRule, "@request.body.score:isset = true");
    assert.equal(saved.updateRule, null);
    assert.equal(saved.deleteRule, null);
    assert.deepEqual(realProblems(page), []);
  } finally {
    await server.stop();
  }
});

test("the rules editor suggests fields and relation paths and inserts them with the keyboard", async () => {
  const server = await startServer({ superuser: true });
  try {
    const admin = await adminClient(server.url);
    const authors = await admin.collections.create({ name: "authors", type: "base", fields: [{ name: "name", type: "text" }] });
    await admin.collections.create({
      name: "posts",
      type: "base",
      fields: [
        { name: "status", type: "text" },
        { name: "author", type: "relation", collectionId: authors.id, maxSelect: 1 },
      ],
    });
    const page = await openPage(browser);
    await login(page, server.url);
    await page.goto(`${server.url}/_/#/collections/posts/edit`);
    await page.getByRole("heading", { name: "Edit collection posts" }).waitFor();
    await unlock(page, "viewRule");
    const rule = page.locator("#rule-viewRule");
    const suggestions = page.locator("#rule-viewRule-suggestions");

    // A field: "sta" offers status; Enter inserts it.
    await rule.pressSequentially("sta");
    await suggestions.getByRole("option", { name: "status", exact: true }).waitFor();
    assert.equal(await rule.getAttribute("aria-expanded"), "true");
    await rule.press("Enter");
    assert.equal(await rule.inputValue(), "status");
    assert.equal(await rule.getAttribute("aria-expanded"), "false");

    // A relation path: "author." offers the related collection's fields.
    await rule.pressSequentially(' = "live" && auth');
    await suggestions.getByRole("option", { name: "author.", exact: true }).waitFor();
    await rule.pressSequentially("or.");
    await suggestions.getByRole("option", { name: "author.name", exact: true }).waitFor();
    assert.deepEqual(await suggestions.getByRole("option").allTextContents().then((t) => t.map((s) => s.trim())), ["author.id", "author.name", "author.posts_via_author."]);
    await rule.press("ArrowDown");
    await screenshot(page, "collections-rule-autocomplete");
    await rule.press("Enter");
    await rule.pressSequentially(' != "" && @request.a');
    await suggestions.getByRole("option", { name: "@request.auth.", exact: true }).waitFor();
    await rule.press("Tab");
    await suggestions.getByRole("option", { name: "@request.auth.id", exact: true }).waitFor();
    await rule.press("Escape");
    assert.equal(await rule.getAttribute("aria-expanded"), "false");
    await rule.pressSequentially('id != ""');
    assert.equal(await rule.inputValue(), 'status = "live" && author.name != "" && @request.auth.id != ""');

    // Back-relations from the other side, and macros.
    await page.goto(`${server.url}/_/#/collections/authors/edit`);
    await page.getByRole("heading", { name: "Edit collection authors" }).waitFor();
    await unlock(page, "listRule");
    const listRule = page.locator("#rule-listRule");
    await listRule.pressSequentially("posts_via");
    await page.locator("#rule-listRule-suggestions").getByRole("option", { name: "posts_via_author.", exact: true }).waitFor();
    await listRule.fill("");
    await listRule.pressSequentially("created < @tod");
    await page.locator("#rule-listRule-suggestions").getByRole("option", { name: "@todayStart", exact: true }).waitFor();

    await page.goto(`${server.url}/_/#/collections/posts/edit`);
    await page.getByRole("heading", { name: "Edit collection posts" }).waitFor();
    await unlock(page, "viewRule");
    await page.locator("#rule-viewRule").fill('status = "live" && author.name != ""');
    await page.getByRole("button", { name: "Save collection" }).click();
    const dialog = page.getByRole("dialog", { name: "Review the changes" });
    await dialog.getByText("viewRule changed").waitFor();
    await dialog.getByRole("button", { name: "Confirm and save" }).click();
    await page.getByRole("heading", { name: "posts", exact: true }).waitFor();
    assert.equal((await admin.collections.getOne("posts")).viewRule, 'status = "live" && author.name != ""');
    assert.deepEqual(realProblems(page), []);
  } finally {
    await server.stop();
  }
});

test("renaming a field shows the changes review and keeps the values", async () => {
  const server = await startServer({ superuser: true });
  try {
    const admin = await adminClient(server.url);
    await admin.collections.create({
      name: "notes",
      type: "base",
      fields: [
        { name: "title", type: "text" },
        { name: "extra", type: "text" },
      ],
    });
    const note = await admin.collection("notes").create({ title: "keep me", extra: "x" });
    const page = await openPage(browser);
    await login(page, server.url);
    await page.goto(`${server.url}/_/#/collections/notes/edit`);
    await page.getByRole("heading", { name: "Edit collection notes" }).waitFor();
    await page.getByRole("group", { name: "Field 2: title" }).getByLabel("Field name").fill("heading");
    await page.getByRole("button", { name: "Save collection" }).click();
    const dialog = page.getByRole("dialog", { name: "Review the changes" });
    await dialog.getByText("title → heading").waitFor();
    await screenshot(page, "collections-changes-review");

    // Back to the editor leaves the collection untouched; Escape closes the dialog too.
    await dialog.getByRole("button", { name: "Back to the editor" }).click();
    await dialog.waitFor({ state: "hidden" });
    assert.equal((await admin.collection("notes").getOne(note.id)).title, "keep me");
    await page.getByRole("button", { name: "Save collection" }).click();
    await dialog.waitFor();
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });

    // Dropping a field is listed as destructive next to the rename.
    await page.getByRole("button", { name: "Remove field extra" }).click();
    await page.getByRole("button", { name: "Save collection" }).click();
    await dialog.getByText("dropped field:").waitFor();
    await dialog.getByText("and all its values").waitFor();
    await dialog.getByRole("button", { name: "Confirm and save" }).click();
    await page.getByRole("heading", { name: "notes", exact: true }).waitFor();

    const saved = await admin.collections.getOne("notes");
    assert.deepEqual(saved.fields.map((f) => f.name), ["id", "heading"]);
    const record = await admin.collection("notes").getOne(note.id);
    assert.equal(record.heading, "keep me");
    assert.equal(record.extra, undefined);
    assert.deepEqual(realProblems(page), []);
  } finally {
    await server.stop();
  }
});

test("duplicate, truncate and delete ask for the typed collection name", async () => {
  const server = await startServer({ superuser: true });
  try {
    const admin = await adminClient(server.url);
    await admin.collections.create({
      name: "items",
      type: "base",
      fields: [{ name: "title", type: "text" }],
      indexes: ["CREATE INDEX `idx_items_title` ON `items` (`title`)"],
      listRule: "",
    });
    await admin.collection("items").create({ title: "one" });
    await admin.collection("items").create({ title: "two" });
    const page = await openPage(browser);
    await login(page, server.url);
    await page.goto(`${server.url}/_/#/collections/items/edit`);
    await page.getByRole("heading", { name: "Edit collection items" }).waitFor();

    await page.getByRole("button", { name: "Duplicate" }).click();
    let dialog = page.getByRole("dialog", { name: "Duplicate items" });
    await dialog.getByLabel("New collection name").fill("items_copy");
    const confirmDuplicate = dialog.getByRole("button", { name: "Duplicate" });
    assert.equal(await confirmDuplicate.isDisabled(), true);
    await dialog.getByLabel("Type items to confirm").fill("item");
    assert.equal(await confirmDuplicate.isDisabled(), true);
    await dialog.getByLabel("Type items to confirm").fill("items");
    await screenshot(page, "collections-duplicate");
    await confirmDuplicate.click();
    await page.getByRole("heading", { name: "Edit collection items_copy" }).waitFor();
    const copy = await admin.collections.getOne("items_copy");
    assert.deepEqual(copy.fields.map((f) => [f.name, f.type]), [
      ["id", "text"],
      ["title", "text"],
    ]);
    assert.equal(copy.listRule, "");
    assert.equal(copy.indexes.length, 1);
    assert.match(copy.indexes[0], /^CREATE INDEX `\w+` ON `items_copy` \(`title`\)$/);
    assert.equal((await admin.collection("items_copy").getList(1, 1)).totalItems, 0);

    await page.goto(`${server.url}/_/#/collections/items/edit`);
    await page.getByRole("heading", { name: "Edit collection items" }).waitFor();
    await page.getByRole("button", { name: "Truncate" }).click();
    dialog = page.getByRole("dialog", { name: "Truncate items" });
    const confirmTruncate = dialog.getByRole("button", { name: "Delete all records" });
    assert.equal(await confirmTruncate.isDisabled(), true);
    await dialog.getByLabel("Type items to confirm").press("Enter");
    assert.equal((await admin.collection("items").getList(1, 1)).totalItems, 2);
    await dialog.getByLabel("Type items to confirm").fill("items");
    await dialog.getByLabel("Type items to confirm").press("Enter");
    await page.getByText("0 record(s)").waitFor();
    assert.equal((await admin.collection("items").getList(1, 1)).totalItems, 0);

    await page.goto(`${server.url}/_/#/collections/items/edit`);
    await page.getByRole("heading", { name: "Edit collection items" }).waitFor();
    await page.getByRole("button", { name: "Delete collection" }).click();
    dialog = page.getByRole("dialog", { name: "Delete items" });
    await dialog.getByLabel("Type items to confirm").fill("items");
    await dialog.getByRole("button", { name: "Delete collection" }).click();
    const nav = page.getByRole("navigation", { name: "Collections" });
    await nav.getByRole("link", { name: "items", exact: true }).waitFor({ state: "detached" });
    await assert.rejects(admin.collections.getOne("items"), (error) => error.status === 404);
    assert.ok(await admin.collections.getOne("items_copy"));
    await screenshot(page, "collections-after-delete");
    assert.deepEqual(realProblems(page), []);
  } finally {
    await server.stop();
  }
});

test("auth options: OTP, MFA, an OAuth2 provider with its mapping, and invalidating auth tokens", async () => {
  const server = await startServer({ superuser: true });
  try {
    const admin = await adminClient(server.url);
    const user = await admin.collection("users").create({ email: "u@example.com", password: "passpass123", passwordConfirm: "passpass123" });
    const userClient = new (admin.constructor)(server.url);
    await userClient.collection("users").authWithPassword("u@example.com", "passpass123");
    const page = await openPage(browser);
    await login(page, server.url);
    await page.goto(`${server.url}/_/#/collections/users/edit`);
    await page.getByRole("heading", { name: "Edit collection users" }).waitFor();

    await page.getByText("One-time password (OTP)").click();
    await page.getByLabel("Enable OTP").check();
    await page.getByLabel("OTP duration (seconds)").fill("300");
    await page.getByLabel("OTP length").fill("6");
    await page.getByText("Multi-factor authentication (MFA)").click();
    await page.getByLabel("Enable MFA").check();
    await page.getByLabel("MFA rule (empty: every login)").fill("verified = true");
    await page.getByText("OAuth2", { exact: true }).click();
    await page.getByLabel("Enable OAuth2").check();
    await page.getByLabel("Provider to add").selectOption("gitlab");
    await page.getByRole("button", { name: "Add provider" }).click();
    const gitlab = page.getByRole("group", { name: "Provider gitlab" });
    await gitlab.getByLabel("Client ID").fill("client-1");
    await gitlab.getByLabel("Client secret").fill("secret-1");
    await gitlab.getByLabel("Display name").fill("GitLab (company)");
    await gitlab.getByLabel("PKCE").selectOption("on");
    await page.getByLabel("OAuth2 username → field").selectOption("name");
    await page.getByText("Token durations and invalidation").click();
    await page.getByLabel("Auth token duration (seconds)").fill("3600");
    await page.getByLabel("Invalidate all issued auth tokens").check();
    await page.getByText("Email templates", { exact: true }).click();
    await page.getByLabel("OTP subject").fill("Your code for {APP_NAME}");
    await screenshot(page, "collections-auth-options");
    await page.getByRole("button", { name: "Save collection" }).click();
    await page.getByRole("heading", { name: "users", exact: true }).waitFor();

    const users = await admin.collections.getOne("users");
    assert.deepEqual(
      { enabled: users.otp.enabled, duration: users.otp.duration, length: users.otp.length, subject: users.otp.emailTemplate.subject },
      { enabled: true, duration: 300, length: 6, subject: "Your code for {APP_NAME}" },
    );
    assert.deepEqual(users.mfa, { enabled: true, duration: 600, rule: "verified = true" });
    assert.equal(users.oauth2.enabled, true);
    assert.deepEqual(
      users.oauth2.providers.map((p) => [p.name, p.clientId, p.displayName, p.pkce, "clientSecret" in p]),
      [["gitlab", "client-1", "GitLab (company)", true, false]],
    );
    assert.equal(users.oauth2.mappedFields.username, "name");
    assert.equal(users.authToken.duration, 3600);
    // The token issued before lost its signing secret.
    await assert.rejects(userClient.collection("users").authRefresh(), (error) => error.status === 401);
    assert.ok(await admin.collection("users").getOne(user.id));

    // Saving again without typing the client secret keeps it (the provider still validates).
    await page.goto(`${server.url}/_/#/collections/users/edit`);
    await page.getByRole("heading", { name: "Edit collection users" }).waitFor();
    await page.getByText("OAuth2", { exact: true }).click();
    await page.getByRole("group", { name: "Provider gitlab" }).getByLabel("Client ID").fill("client-2");
    await page.getByRole("button", { name: "Save collection" }).click();
    await page.getByRole("heading", { name: "users", exact: true }).waitFor();
    assert.equal((await admin.collections.getOne("users")).oauth2.providers[0].clientId, "client-2");

    // The test send calls the settings endpoint and shows its answer.
    await page.goto(`${server.url}/_/#/collections/users/edit`);
    await page.getByRole("heading", { name: "Edit collection users" }).waitFor();
    await page.getByText("Email templates", { exact: true }).click();
    await page.getByLabel("Test email address").fill("someone@example.com");
    const answer = page.waitForResponse((response) => response.url().endsWith("/api/settings/test/email"));
    await page.getByRole("button", { name: "Send test verification email" }).click();
    const response = await answer;
    const request = response.request();
    assert.equal(request.method(), "POST");
    assert.deepEqual(JSON.parse(request.postData()), { email: "someone@example.com", template: "verification", collection: "users" });
    const shown = response.status() === 204 ? "Test email sent to someone@example.com." : (await response.json()).message;
    await page.getByRole("group", { name: "Verification template" }).getByText(shown).waitFor();
  } finally {
    await server.stop();
  }
});

test("the rules overview and a collection's API preview follow the schema", async () => {
  const server = await startServer({ superuser: true });
  try {
    const admin = await adminClient(server.url);
    await admin.collections.create({
      name: "articles",
      type: "base",
      fields: [
        { name: "headline", type: "text", required: true },
        { name: "views", type: "number" },
      ],
      listRule: "",
      viewRule: "views > 0",
    });
    const page = await openPage(browser);
    await login(page, server.url);
    await page.getByRole("link", { name: "Rules overview" }).click();
    await page.getByRole("heading", { name: "API rules overview" }).waitFor();
    const row = page.getByRole("row").filter({ has: page.getByRole("rowheader", { name: /articles/ }) });
    const cells = (await row.getByRole("cell").allTextContents()).map((text) => text.trim());
    assert.deepEqual(cells, ["everyone", "views > 0", "superusers only", "superusers only", "superusers only", "—", "—"]);
    const users = page.getByRole("row").filter({ has: page.getByRole("rowheader", { name: /users/ }) });
    const usersCollection = await admin.collections.getOne("users");
    assert.equal((await users.getByRole("cell").nth(5).textContent()).trim(), usersCollection.authRule === "" ? "everyone" : usersCollection.authRule);
    await screenshot(page, "collections-rules-overview");

    await page.goto(`${server.url}/_/#/collections/articles/api`);
    await page.getByRole("heading", { name: "API preview: articles" }).waitFor();
    await page.getByText("/api/collections/articles/records/RECORD_ID").first().waitFor();
    const create = page.getByRole("region", { name: "Create" });
    const bodyRows = await create.getByRole("table", { name: /Body parameters/ }).getByRole("row").allTextContents();
    assert.deepEqual(bodyRows.slice(1), ["idtextno", "headlinetextyes", "viewsnumberno"]);
    const example = JSON.parse(await page.getByLabel("View example response").textContent());
    assert.deepEqual(Object.keys(example), ["collectionId", "collectionName", "id", "headline", "views"]);
    const articles = await admin.collections.getOne("articles");
    assert.equal(example.collectionId, articles.id);
    await page.getByRole("region", { name: "Realtime" }).getByText("articles/*").waitFor();
    await screenshot(page, "collections-api-preview");
    assert.deepEqual(realProblems(page), []);
  } finally {
    await server.stop();
  }
});

test("the sidebar searches, pins and groups the system collections", async () => {
  const server = await startServer({ superuser: true });
  try {
    const admin = await adminClient(server.url);
    for (const name of ["alpha", "beta", "gamma"]) await admin.collections.create({ name, type: "base", fields: [] });
    const page = await openPage(browser, { viewport: { width: 390, height: 844 } });
    await login(page, server.url);
    // On a phone the sidebar sits behind the Menu button.
    const openMenu = () => page.getByRole("button", { name: "Menu", exact: true }).click();
    await openMenu();
    const nav = page.getByRole("navigation", { name: "Collections" });
    await nav.getByRole("link", { name: "gamma", exact: true }).waitFor();
    const visibleLinks = async () => (await nav.getByRole("link").allTextContents()).filter((t) => !t.startsWith("+") && t !== "Rules overview");
    assert.deepEqual(await visibleLinks(), ["alpha", "beta", "gamma", "users"]);

    await nav.getByRole("button", { name: "Pin gamma" }).click();
    assert.equal(await nav.getByRole("button", { name: "Pin gamma" }).getAttribute("aria-pressed"), "true");
    assert.deepEqual(await visibleLinks(), ["gamma", "alpha", "beta", "users"]);
    await nav.getByText("System collections").click();
    await nav.getByRole("link", { name: "_superusers" }).waitFor();
    await nav.getByLabel("Search collections").fill("ph");
    assert.deepEqual(await visibleLinks(), ["alpha"]);
    await nav.getByLabel("Search collections").fill("");
    await screenshot(page, "collections-sidebar-phone");

    // The pin survives a reload (localStorage).
    await page.reload();
    await openMenu();
    await nav.getByRole("link", { name: "gamma", exact: true }).waitFor();
    assert.equal((await visibleLinks())[0], "gamma");
    assert.deepEqual((await admin.collections.getFullList()).filter((c) => !c.system).length, 4);
    assert.deepEqual(realProblems(page), []);
  } finally {
    await server.stop();
  }
});

test("a view collection: the query is checked live, nothing is stored until saved", async () => {
  const server = await startServer({ superuser: true });
  try {
    const admin = await adminClient(server.url);
    await admin.collection("users").create({ email: "viewed@example.com", password: "passpass123", passwordConfirm: "passpass123" });
    const before = (await admin.collections.getFullList()).length;
    const page = await openPage(browser);
    await login(page, server.url);
    await page.getByRole("link", { name: "+ New collection" }).click();
    await page.getByLabel("Name", { exact: true }).fill("emails");
    await page.getByLabel("Type", { exact: true }).selectOption("view");
    const query = page.getByLabel("View query (SQL SELECT)");
    const status = page.locator("#view-query-status");
    await query.fill("select id, nope from users");
    await status.filter({ hasText: "no such column" }).waitFor();
    await query.fill("select * from users");
    await status.filter({ hasText: "wildcard columns (*) are not supported" }).waitFor();
    await query.fill("select id, email from users");
    await status.filter({ hasText: "The query is valid." }).waitFor();
    // The live preview shows the query's rows before anything is saved.
    const preview = page.getByRole("table", { name: "Preview: the first rows of this query" });
    await preview.getByRole("cell", { name: "viewed@example.com" }).waitFor();
    assert.deepEqual(await preview.locator("thead th").allTextContents(), ["id", "email"]);
    await query.fill("select id, email from users where email = 'nobody'");
    await preview.getByRole("cell", { name: "The query selects no rows." }).waitFor();
    await query.fill("select id, email from users");
    await preview.getByRole("cell", { name: "viewed@example.com" }).waitFor();
    assert.equal((await admin.collections.getFullList()).length, before);
    await unlock(page, "listRule");
    await screenshot(page, "collections-view-query");
    await page.getByRole("button", { name: "Create collection" }).click();
    await page.getByRole("heading", { name: "emails", exact: true }).waitFor();

    const emails = await admin.collections.getOne("emails");
    assert.equal(emails.type, "view");
    assert.equal(emails.viewQuery, "select id, email from users");
    assert.deepEqual(emails.fields.map((f) => [f.name, f.type]), [
      ["id", "text"],
      ["email", "email"],
    ]);
    assert.equal(emails.listRule, "");
    assert.equal((await admin.collections.getFullList()).length, before + 1);

    // The saved query shows its first rows too.
    await page.goto(`${server.url}/_/#/collections/emails/edit`);
    await page.getByRole("table", { name: "Preview: the first rows of this query" }).getByRole("cell", { name: "viewed@example.com" }).waitFor();
    assert.deepEqual(realProblems(page), []);
  } finally {
    await server.stop();
  }
});

test("a new auth collection starts from the server's defaults", async () => {
  const server = await startServer({ superuser: true });
  try {
    const page = await openPage(browser);
    await login(page, server.url);
    await page.getByRole("link", { name: "+ New collection" }).click();
    await page.getByLabel("Name", { exact: true }).fill("members");
    await page.getByLabel("Type", { exact: true }).selectOption("auth");
    await page.getByLabel("Identity fields (comma separated)").waitFor();
    assert.equal(await page.getByLabel("Identity fields (comma separated)").inputValue(), "email");
    await page.getByRole("button", { name: "Create collection" }).click();
    await page.getByRole("heading", { name: "members", exact: true }).waitFor();
    const admin = await adminClient(server.url);
    const members = await admin.collections.getOne("members");
    const users = await admin.collections.getOne("users");
    assert.equal(members.type, "auth");
    assert.deepEqual(members.passwordAuth, { enabled: true, identityFields: ["email"] });
    assert.deepEqual(members.otp, users.otp);
    assert.equal(members.authRule, "");
    assert.equal(members.manageRule, null);
    assert.deepEqual(members.fields.filter((f) => f.system).map((f) => f.name), ["id", "password", "tokenKey", "email", "emailVisibility", "verified"]);
    assert.deepEqual(realProblems(page), []);
  } finally {
    await server.stop();
  }
});
