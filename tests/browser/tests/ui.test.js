// The admin dashboard at /_/ in a real browser: first-run installer, login, the collection
// editor, and the records browser and editor. Each test checks what the page shows and what the
// API holds afterwards, and saves a screenshot.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, SUPERUSER } from "../lib/server.js";
import { launchBrowser, openPage, screenshot } from "../lib/browser.js";
import { login, adminClient, columnTexts } from "../lib/ui.js";

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** Opens the one-time installer link `server` printed at start-up in a new page. */
async function openInstaller(server) {
  const link = server.output().match(/http:\/\/\S+\/_\/#\/pbinstall\/\S+/)?.[0];
  assert.ok(link, `no installer link in:\n${server.output()}`);
  const page = await openPage(browser);
  await page.goto(link);
  return { link, page };
}

test("the installer link creates the first superuser, signs in, and then stops working", async () => {
  const server = await startServer();
  try {
    const { link, page } = await openInstaller(server);
    await page.getByRole("heading", { name: "Create your first superuser" }).waitFor();
    await page.getByLabel("Email").fill(SUPERUSER.email);
    await page.getByLabel("Password", { exact: true }).fill(SUPERUSER.password);
    await page.getByLabel("Password confirm").fill(SUPERUSER.password);
    await screenshot(page, "installer");
    await page.getByRole("button", { name: "Create superuser and sign in" }).click();
    await page.getByRole("button", { name: "Logout" }).waitFor();
    await page.getByRole("heading", { name: "users", exact: true }).waitFor();
    await screenshot(page, "installer-done");
    assert.deepEqual(page.problems, []);

    const admin = await adminClient(server.url);
    const superusers = await admin.collection("_superusers").getFullList();
    assert.deepEqual(superusers.map((record) => record.email), [SUPERUSER.email]);

    // The placeholder the link signed for is gone, so the link is dead.
    const again = await openPage(browser);
    await again.goto(link);
    await again.getByLabel("Email").fill("second@example.com");
    await again.getByLabel("Password", { exact: true }).fill(SUPERUSER.password);
    await again.getByLabel("Password confirm").fill(SUPERUSER.password);
    await again.getByRole("button", { name: "Create superuser and sign in" }).click();
    await again.getByRole("alert").filter({ hasText: "expired" }).waitFor();
    assert.equal((await admin.collection("_superusers").getFullList()).length, 1);
  } finally {
    await server.stop();
  }
});

test("the installer link can restore an uploaded backup instead, whose superusers then sign in", async () => {
  // A backup of a server with a collection, a record and the test superuser.
  const source = await startServer({ superuser: true });
  let zip;
  try {
    const admin = await adminClient(source.url);
    await admin.collections.create({ name: "kept", type: "base", fields: [{ name: "title", type: "text" }] });
    await admin.collection("kept").create({ title: "from the backup" });
    await admin.backups.create("seed_backup.zip");
    const token = await admin.files.getToken();
    const response = await fetch(`${source.url}/api/backups/seed_backup.zip?token=${token}`);
    assert.equal(response.status, 200);
    zip = Buffer.from(await response.arrayBuffer());
  } finally {
    await source.stop();
  }

  const server = await startServer();
  try {
    const { page } = await openInstaller(server);
    await page.getByRole("heading", { name: "Or restore a backup" }).waitFor();
    await page.getByLabel("Backup (.zip)").setInputFiles({ name: "seed_backup.zip", mimeType: "application/zip", buffer: zip });
    await screenshot(page, "installer-restore");
    await page.getByRole("button", { name: "Upload and restore" }).click();
    // The server restarts with the backup's data; the page comes back to the login form.
    await page.getByRole("button", { name: "Login" }).waitFor({ timeout: 120_000 });
    await page.getByLabel("Email").fill(SUPERUSER.email);
    await page.getByLabel("Password").fill(SUPERUSER.password);
    await page.getByRole("button", { name: "Login" }).click();
    await page.getByRole("link", { name: "kept", exact: true }).first().waitFor();
    await screenshot(page, "installer-restored");

    const admin = await adminClient(server.url);
    const records = await admin.collection("kept").getFullList();
    assert.deepEqual(records.map((record) => record.title), ["from the backup"]);
    const superusers = await admin.collection("_superusers").getFullList();
    assert.deepEqual(superusers.map((record) => record.email), [SUPERUSER.email]);
  } finally {
    await server.stop();
  }
});

test("login, create a collection with fields and rules, then edit its rules", async () => {
  const server = await startServer({ superuser: true });
  try {
    assert.doesNotMatch(server.output(), /pbinstall/);
    const page = await openPage(browser);
    await page.goto(`${server.url}/_/`);
    await page.getByLabel("Email").fill(SUPERUSER.email);
    await page.getByLabel("Password").fill("wrong-password");
    await page.getByRole("button", { name: "Login" }).click();
    await page.getByRole("alert").waitFor();
    await login(page, server.url);

    await page.getByRole("link", { name: "+ New collection" }).click();
    await page.getByLabel("Name", { exact: true }).fill("posts");
    const addField = async (name, type) => {
      await page.getByRole("button", { name: "Add field" }).click();
      const fieldset = page.locator("fieldset").last();
      await fieldset.getByLabel("Field name").fill(name);
      await fieldset.getByLabel("Field type").selectOption(type);
      return fieldset;
    };
    const title = await addField("title", "text");
    await title.getByLabel("Required").check();
    await title.getByLabel("Max", { exact: true }).fill("100");
    await addField("views", "number");
    await addField("published", "bool");
    const status = await addField("status", "select");
    await status.getByLabel("Choices (comma separated)").fill("draft, live");
    await page.getByLabel("listRule").locator("..").getByLabel("Superusers only").uncheck();
    await page.locator("#rule-viewRule").locator("..").getByLabel("Superusers only").uncheck();
    await page.locator("#rule-viewRule").fill("published = true");
    await page.locator("#rule-createRule").locator("..").getByLabel("Superusers only").uncheck();
    await page.locator("#rule-createRule").fill('@request.auth.id != ""');
    await screenshot(page, "collection-editor");
    await page.getByRole("button", { name: "Create collection" }).click();
    await page.getByRole("heading", { name: "posts", exact: true }).waitFor();
    await page.getByRole("navigation", { name: "Collections" }).getByRole("link", { name: "posts" }).waitFor();

    const admin = await adminClient(server.url);
    const posts = await admin.collections.getOne("posts");
    const byName = Object.fromEntries(posts.fields.map((field) => [field.name, field]));
    assert.equal(byName.title.type, "text");
    assert.equal(byName.title.required, true);
    assert.equal(byName.title.max, 100);
    assert.equal(byName.views.type, "number");
    assert.equal(byName.published.type, "bool");
    assert.deepEqual(byName.status.values, ["draft", "live"]);
    assert.equal(posts.listRule, "");
    assert.equal(posts.viewRule, "published = true");
    assert.equal(posts.createRule, '@request.auth.id != ""');
    assert.equal(posts.updateRule, null);
    assert.equal(posts.deleteRule, null);

    await page.getByRole("link", { name: "Edit collection" }).click();
    await page.locator("#rule-deleteRule").locator("..").getByLabel("Superusers only").uncheck();
    await page.locator("#rule-deleteRule").fill('@request.auth.id != ""');
    await page.locator("#rule-viewRule").locator("..").getByLabel("Superusers only").check();
    await page.getByRole("button", { name: "Save collection" }).click();
    // Rule changes go through the changes review before they are saved.
    await page.getByRole("dialog").getByRole("button", { name: "Confirm and save" }).click();
    await page.getByRole("heading", { name: "posts", exact: true }).waitFor();
    const edited = await admin.collections.getOne("posts");
    assert.equal(edited.deleteRule, '@request.auth.id != ""');
    assert.equal(edited.viewRule, null);
    assert.equal(edited.fields.length, posts.fields.length);
    await screenshot(page, "collection-created");
    assert.deepEqual(page.problems.filter((text) => !text.includes("400")), []);
  } finally {
    await server.stop();
  }
});

test("records: add, edit, sort, filter and delete through the dashboard", async () => {
  const server = await startServer({ superuser: true });
  try {
    const admin = await adminClient(server.url);
    await admin.collections.create({
      name: "items",
      type: "base",
      fields: [
        { name: "title", type: "text", required: true },
        { name: "views", type: "number" },
        { name: "published", type: "bool" },
      ],
    });
    const page = await openPage(browser);
    await login(page, server.url);
    await page.getByRole("heading", { name: "items", exact: true }).waitFor();

    for (const [title, views, published] of [
      ["alpha", 3, true],
      ["beta", 1, false],
      ["gamma", 2, true],
    ]) {
      await page.getByRole("link", { name: "New record" }).click();
      await page.getByLabel("title").fill(title);
      await page.getByLabel("views").fill(String(views));
      if (published) await page.getByLabel("published").check();
      await page.getByRole("button", { name: "Create" }).click();
      await page.getByRole("cell", { name: title, exact: true }).waitFor();
    }
    const stored = await admin.collection("items").getFullList({ sort: "title" });
    assert.deepEqual(
      stored.map((record) => [record.title, record.views, record.published]),
      [
        ["alpha", 3, true],
        ["beta", 1, false],
        ["gamma", 2, true],
      ],
    );
    await page.getByText("3 record(s)").waitFor();

    const viewsHeader = page.getByRole("button", { name: "views" });
    await viewsHeader.click();
    await page.locator('th[aria-sort="ascending"]').waitFor();
    await page.waitForFunction(() => !document.querySelector("table[aria-busy='true']"));
    assert.deepEqual(await columnTexts(page, "title"), ["beta", "gamma", "alpha"]);
    await viewsHeader.click();
    await page.locator('th[aria-sort="descending"]').waitFor();
    await page.waitForFunction(() => !document.querySelector("table[aria-busy='true']"));
    assert.deepEqual(await columnTexts(page, "title"), ["alpha", "gamma", "beta"]);

    await page.getByLabel("Filter").fill("published = true");
    await page.getByRole("button", { name: "Apply filter" }).click();
    await page.getByText("2 record(s)").waitFor();
    assert.deepEqual(await columnTexts(page, "title"), ["alpha", "gamma"]);
    await screenshot(page, "records-filtered");
    await page.getByLabel("Filter").fill("");
    await page.getByRole("button", { name: "Apply filter" }).click();
    await page.getByText("3 record(s)").waitFor();

    const beta = stored.find((record) => record.title === "beta");
    await page.getByRole("link", { name: beta.id }).click();
    await page.getByRole("heading", { name: "Edit items record" }).waitFor();
    await page.getByLabel("title").fill("beta edited");
    await screenshot(page, "record-editor");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByRole("cell", { name: "beta edited", exact: true }).waitFor();
    assert.equal((await admin.collection("items").getOne(beta.id)).title, "beta edited");

    page.on("dialog", (dialog) => dialog.accept());
    const gamma = stored.find((record) => record.title === "gamma");
    await page.getByRole("checkbox", { name: `Select record ${gamma.id}` }).check();
    await page.getByRole("button", { name: "Delete selected (1)" }).click();
    await page.getByText("2 record(s)").waitFor();
    const alpha = stored.find((record) => record.title === "alpha");
    await page.getByRole("link", { name: alpha.id }).click();
    await page.getByRole("button", { name: "Delete record" }).click();
    await page.getByText("1 record(s)").waitFor();
    const left = await admin.collection("items").getFullList();
    assert.deepEqual(left.map((record) => record.title), ["beta edited"]);
    await screenshot(page, "records-after-delete");
    assert.deepEqual(page.problems, []);
  } finally {
    await server.stop();
  }
});

test("the dashboard's assets carry their caching and security headers", async () => {
  const server = await startServer({ superuser: true });
  try {
    const index = await fetch(`${server.url}/_/`);
    assert.equal(index.status, 200);
    assert.equal(index.headers.get("cache-control"), "no-cache");
    assert.match(index.headers.get("content-security-policy"), /script-src 'self';/);
    const html = await index.text();
    const script = html.match(/src="\.\/(assets\/[^"]+\.js)"/)?.[1];
    assert.ok(script, html);
    const asset = await fetch(`${server.url}/_/${script}`);
    assert.equal(asset.status, 200);
    assert.equal(asset.headers.get("cache-control"), "public, max-age=31536000, immutable");
    const extensions = await fetch(`${server.url}/_/extensions.js`);
    assert.equal(extensions.status, 200);
    assert.equal(await extensions.text(), "");
    const missing = await fetch(`${server.url}/_/nope.js`);
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { data: {}, message: "File not found.", status: 404 });
    const redirect = await fetch(`${server.url}/_`, { redirect: "manual" });
    assert.equal(redirect.status, 307);
    assert.equal(redirect.headers.get("location"), "/_/");
  } finally {
    await server.stop();
  }
});

test("the first load of /_/ stays under 150 KB gzipped", async () => {
  const { gzipSync } = await import("node:zlib");
  const server = await startServer({ superuser: true });
  try {
    const html = await (await fetch(`${server.url}/_/`)).text();
    const referenced = [...html.matchAll(/(?:src|href)="\.\/([^"]+)"/g)].map((match) => match[1]);
    assert.ok(referenced.some((name) => name.endsWith(".css")), html);
    let total = gzipSync(html, { level: 9 }).length;
    for (const name of referenced) {
      const body = Buffer.from(await (await fetch(`${server.url}/_/${name}`)).arrayBuffer());
      total += gzipSync(body, { level: 9 }).length;
    }
    console.log(`first load of /_/: ${total} bytes gzipped`);
    assert.ok(total < 150 * 1024, `${total} bytes`);
  } finally {
    await server.stop();
  }
});
