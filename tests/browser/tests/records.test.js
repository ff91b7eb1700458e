// The records browser and editor in a real browser: a record with one field of every type
// created, edited (file upload and drop, relation pick) and deleted; filter with suggestions
// and history, sort, paging and the column picker; bulk edit and bulk delete; CSV export then
// import; an auth record's extras (password, mails, OAuth2 links, impersonation); stored rich
// text shown sanitised. Each test checks the page and what the API then holds, and saves a
// screenshot.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import PocketBase, { getTokenPayload } from "pocketbase";
import { startServer } from "../lib/server.js";
import { launchBrowser, openPage, screenshot } from "../lib/browser.js";
import { login, adminClient, columnTexts } from "../lib/ui.js";
import { startSmtpReceiver } from "../lib/smtp_receiver.js";

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

// A 1x1 PNG.
const PIXEL = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  "base64",
);

/** `tags` and `things` (one field of every type, `tags` as its relation). */
async function createSchema(admin) {
  const tags = await admin.collections.create({
    name: "tags",
    type: "base",
    fields: [{ name: "name", type: "text", presentable: true }],
  });
  await admin.collections.create({
    name: "things",
    type: "base",
    fields: [
      { name: "title", type: "text", required: true },
      { name: "body", type: "editor" },
      { name: "count", type: "number" },
      { name: "done", type: "bool" },
      { name: "contact", type: "email" },
      { name: "site", type: "url" },
      { name: "due", type: "date" },
      { name: "kind", type: "select", values: ["a", "b", "c"], maxSelect: 1 },
      { name: "labels", type: "select", values: ["x", "y", "z"], maxSelect: 3 },
      { name: "meta", type: "json" },
      { name: "doc", type: "file", maxSelect: 1, maxSize: 1_000_000 },
      { name: "private", type: "file", maxSelect: 2, maxSize: 1_000_000, protected: true },
      { name: "tags", type: "relation", collectionId: tags.id, maxSelect: 5 },
      { name: "secret", type: "password" },
      { name: "place", type: "geoPoint" },
      { name: "created", type: "autodate", onCreate: true },
    ],
  });
  const red = await admin.collection("tags").create({ name: "red" });
  const blue = await admin.collection("tags").create({ name: "blue" });
  return { red, blue };
}

async function settled(page) {
  await page.waitForFunction(() => !document.querySelector("table[aria-busy='true']"));
}

test("records: create, edit and delete a record with every field type", async () => {
  const server = await startServer({ superuser: true });
  try {
    const admin = await adminClient(server.url);
    const { red, blue } = await createSchema(admin);
    const page = await openPage(browser, { timezoneId: "Asia/Tokyo" });
    await login(page, server.url);
    await page.goto(`${server.url}/_/#/collections/things`);
    await page.getByRole("link", { name: "New record" }).click();
    await page.getByRole("heading", { name: "New things record" }).waitFor();

    await page.getByLabel("title *", { exact: true }).fill("first thing");
    const body = page.getByRole("textbox", { name: "body" });
    await body.click();
    await page.keyboard.type("Hello ");
    await page.getByRole("button", { name: "Bold" }).click();
    await page.keyboard.type("bold");
    await page.getByLabel("count", { exact: true }).fill("7");
    await page.getByLabel("done", { exact: true }).check();
    await page.getByLabel("contact", { exact: true }).fill("someone@example.com");
    await page.getByLabel("site", { exact: true }).fill("https://example.com/x");
    await page.getByLabel("due", { exact: true }).fill("2025-03-04T10:20:30");
    await page.getByText("Local time (Asia/Tokyo)").waitFor();
    await page.getByLabel("kind", { exact: true }).selectOption("b");
    await page.getByLabel("labels", { exact: true }).selectOption(["x", "z"]);
    const meta = page.getByLabel("meta", { exact: true });
    await meta.fill('{"a": 1,');
    await page.getByText("Invalid JSON").waitFor();
    await meta.fill('{"a": 1}');
    await page.getByText("JSON (valid)").waitFor();
    await page.getByLabel("doc", { exact: true }).setInputFiles({ name: "pixel.png", mimeType: "image/png", buffer: PIXEL });
    await page.getByText("pixel.png (1 KB)").waitFor();
    await page.getByLabel("private", { exact: true }).setInputFiles({ name: "secret.png", mimeType: "image/png", buffer: PIXEL });
    await page.getByText("secret.png (1 KB)").waitFor();
    await page.getByRole("button", { name: "Choose tags" }).click();
    const picker = page.getByRole("dialog", { name: "Choose tags (tags)" });
    await picker.getByLabel("Search tags").fill("red");
    await picker.getByRole("button", { name: "Search" }).click();
    await picker.getByRole("checkbox", { name: `blue (${blue.id})` }).waitFor({ state: "detached" });
    assert.equal(await picker.getByRole("checkbox").count(), 1, "the server-side search found only red");
    await picker.getByRole("checkbox", { name: `red (${red.id})` }).check();
    await picker.getByRole("button", { name: "Use selected (1)" }).click();
    await page.getByText(`red (${red.id})`).waitFor();
    await page.getByLabel("secret", { exact: true }).fill("secret-pass-1");
    await page.getByLabel("secret confirm", { exact: true }).fill("secret-pass-1");
    await page.getByLabel("place longitude").fill("13.4");
    await page.getByLabel("place latitude").fill("52.5");
    await screenshot(page, "records-every-field-new");
    await page.getByRole("button", { name: "Create" }).click();
    await page.getByRole("cell", { name: "first thing", exact: true }).waitFor();

    const created = await admin.collection("things").getFirstListItem('title = "first thing"');
    assert.match(created.body, /^Hello <b>bold<\/b>$/);
    assert.equal(created.count, 7);
    assert.equal(created.done, true);
    assert.equal(created.contact, "someone@example.com");
    assert.equal(created.site, "https://example.com/x");
    assert.equal(created.due, "2025-03-04 01:20:30.000Z", "local Tokyo time stored as UTC");
    assert.equal(created.kind, "b");
    assert.deepEqual(created.labels, ["x", "z"]);
    assert.deepEqual(created.meta, { a: 1 });
    assert.match(created.doc, /^pixel_\w+\.png$/);
    assert.equal(created.private.length, 1);
    assert.match(created.private[0], /^secret_\w+\.png$/);
    assert.deepEqual(created.tags, [red.id]);
    assert.deepEqual(created.place, { lon: 13.4, lat: 52.5 });
    assert.equal(created.secret, "", "a password is never read back");
    assert.ok(created.created);

    // Edit: the date shows in local time, a thumbnail of the stored image, then change fields,
    // replace the file by dropping another one, and add a second tag.
    await page.getByRole("link", { name: created.id }).click();
    await page.getByRole("heading", { name: "Edit things record" }).waitFor();
    assert.equal(await page.getByLabel("due", { exact: true }).inputValue(), "2025-03-04T10:20:30");
    const thumb = page.locator(`img[src*="${created.doc}"]`);
    await thumb.waitFor();
    assert.match(await thumb.getAttribute("src"), /thumb=100x100/);
    // The protected file's thumbnail loads through a file token.
    const privateThumb = page.locator(`img[src*="${created.private[0]}"]`);
    await privateThumb.waitFor();
    assert.match(await privateThumb.getAttribute("src"), /token=ey/);
    const anonymous = await fetch(`${server.url}/api/files/things/${created.id}/${created.private[0]}`);
    assert.equal(anonymous.status, 404, "the protected file needs a token");
    for (const image of [thumb, privateThumb]) {
      await image.evaluate(
        (img) =>
          new Promise((resolve, reject) => {
            if (img.complete && img.naturalWidth > 0) return resolve();
            img.addEventListener("load", resolve);
            img.addEventListener("error", () => reject(new Error(`thumbnail failed: ${img.src}`)));
          }),
      );
    }
    await page.getByText(`red (${red.id})`).waitFor();
    await page.getByLabel("title *", { exact: true }).fill("first thing edited");
    await page.getByLabel("count", { exact: true }).fill("8.5");
    await page.getByLabel("done", { exact: true }).uncheck();
    await page.getByLabel("kind", { exact: true }).selectOption("c");
    await page.getByLabel("meta", { exact: true }).fill('[1, "two"]');
    await page.getByLabel("due", { exact: true }).fill("2025-12-31T23:00:15");
    const dropped = await page.evaluateHandle(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(["dropped text"], "note.txt", { type: "text/plain" }));
      return transfer;
    });
    await page.getByRole("group", { name: "doc drop zone" }).dispatchEvent("drop", { dataTransfer: dropped });
    await page.getByText("note.txt (1 KB)").waitFor();
    await page.getByRole("button", { name: "Choose tags" }).click();
    await picker.getByRole("checkbox", { name: `blue (${blue.id})` }).check();
    await picker.getByRole("button", { name: "Use selected (2)" }).click();
    await page.getByText(`blue (${blue.id})`).waitFor();
    await screenshot(page, "records-every-field-edit");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByRole("cell", { name: "first thing edited", exact: true }).waitFor();

    const edited = await admin.collection("things").getOne(created.id);
    assert.equal(edited.count, 8.5);
    assert.equal(edited.done, false);
    assert.equal(edited.kind, "c");
    assert.deepEqual(edited.meta, [1, "two"]);
    assert.equal(edited.due, "2025-12-31 14:00:15.000Z");
    assert.match(edited.doc, /^note_\w+\.txt$/);
    assert.deepEqual(edited.tags, [red.id, blue.id]);
    assert.equal(edited.body, created.body);
    const file = await fetch(admin.files.getURL(edited, edited.doc));
    assert.equal(await file.text(), "dropped text");

    // Remove the stored file, then delete the record; Escape leaves the editor.
    await page.getByRole("link", { name: created.id }).click();
    await page.getByRole("checkbox", { name: `Remove ${edited.doc}` }).check();
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByRole("cell", { name: "first thing edited", exact: true }).waitFor();
    assert.equal((await admin.collection("things").getOne(created.id)).doc, "");
    await page.getByRole("link", { name: created.id }).click();
    await page.getByRole("heading", { name: "Edit things record" }).waitFor();
    await page.keyboard.press("Escape");
    await page.getByRole("heading", { name: "things", exact: true }).waitFor();
    await page.getByRole("link", { name: created.id }).click();
    page.once("dialog", (dialog) => dialog.accept());
    await page.getByRole("button", { name: "Delete record" }).click();
    await page.getByText("0 record(s)").waitFor();
    assert.equal((await admin.collection("things").getFullList()).length, 0);
    assert.deepEqual(page.problems, []);
  } finally {
    await server.stop();
  }
});

test("records: filter with suggestions and history, sort, paging and the column picker", async () => {
  const server = await startServer({ superuser: true });
  try {
    const admin = await adminClient(server.url);
    await createSchema(admin);
    for (let i = 1; i <= 25; i++) {
      await admin.collection("things").create({ title: `t${String(i).padStart(2, "0")}`, count: i, done: i % 2 === 0 });
    }
    const page = await openPage(browser);
    await login(page, server.url);
    await page.goto(`${server.url}/_/#/collections/things`);
    await page.getByText("25 record(s)").waitFor();
    await page.getByLabel("Per page").selectOption("10");
    await page.getByText("Page 1 of 3").waitFor();
    await settled(page);
    assert.equal((await columnTexts(page, "title")).length, 10);
    await page.getByRole("button", { name: "Next page" }).click();
    await page.getByText("Page 2 of 3").waitFor();

    // Suggestions: the word being typed completes to field names.
    const filter = page.getByLabel("Filter");
    await filter.fill("cou");
    const options = page.locator("#records-filter-suggestions option");
    await page.waitForFunction(() => [...document.querySelectorAll("#records-filter-suggestions option")].some((o) => o.value === "count"));
    assert.ok((await options.evaluateAll((list) => list.map((o) => o.value))).includes("count"));
    await filter.fill("count > 20 && done = true");
    await filter.press("Enter");
    await page.getByText("2 record(s)").waitFor();
    await settled(page);
    const countHeader = page.getByRole("button", { name: /^count( [▲▼])?$/ });
    await countHeader.click();
    await page.locator('th[aria-sort="ascending"]').waitFor();
    await countHeader.click();
    await page.locator('th[aria-sort="descending"]').waitFor();
    await settled(page);
    assert.deepEqual(await columnTexts(page, "title"), ["t24", "t22"]);
    const expected = await admin.collection("things").getFullList({ filter: "count > 20 && done = true", sort: "-count" });
    assert.deepEqual(expected.map((r) => r.title), ["t24", "t22"]);

    // Column picker: hide "body", which stays hidden after a reload.
    await page.getByText("Columns", { exact: true }).click();
    await page.getByRole("group", { name: "Shown columns" }).getByLabel("body", { exact: true }).uncheck();
    await page.getByText("Columns", { exact: true }).click();
    assert.equal(await page.getByRole("button", { name: "body", exact: true }).count(), 0);
    await screenshot(page, "records-filter-sort");
    await page.reload();
    await page.getByText("25 record(s)").waitFor();
    await settled(page);
    assert.equal(await page.getByRole("button", { name: "body", exact: true }).count(), 0);
    assert.equal(await page.getByRole("button", { name: "title", exact: true }).count(), 1);
    assert.equal((await columnTexts(page, "title")).length, 10, "the per-page choice is kept");

    // History: the applied filter is offered again.
    const history = await page.locator("#records-filter-suggestions option").evaluateAll((list) => list.map((o) => o.value));
    assert.ok(history.includes("count > 20 && done = true"), history.join(" | "));

    // Keyboard: ArrowDown moves between rows, Enter opens the focused record.
    const links = page.locator("a.record-link");
    await links.first().focus();
    await page.keyboard.press("ArrowDown");
    const focused = await page.evaluate(() => document.activeElement.textContent);
    assert.equal(focused, await links.nth(1).textContent());
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Edit things record" }).waitFor();
    assert.deepEqual(page.problems, []);
  } finally {
    await server.stop();
  }
});

test("records: bulk edit a field and bulk delete over selected records", async () => {
  const server = await startServer({ superuser: true });
  try {
    const admin = await adminClient(server.url);
    await createSchema(admin);
    const made = [];
    for (const title of ["one", "two", "three", "four"]) made.push(await admin.collection("things").create({ title, kind: "a" }));
    const page = await openPage(browser);
    await login(page, server.url);
    await page.goto(`${server.url}/_/#/collections/things`);
    await page.getByText("4 record(s)").waitFor();
    for (const record of made.slice(0, 3)) await page.getByRole("checkbox", { name: `Select record ${record.id}` }).check();
    await page.getByRole("button", { name: "Edit selected (3)" }).click();
    const dialog = page.getByRole("dialog", { name: "Edit 3 selected record(s)" });
    await dialog.getByLabel("Field to set").selectOption("kind");
    await dialog.getByLabel("New value").selectOption("c");
    await screenshot(page, "records-bulk-edit");
    await dialog.getByRole("button", { name: "Apply to 3 record(s)" }).click();
    await page.getByRole("status").filter({ hasText: "Updated kind on 3 record(s)." }).waitFor();
    const kinds = Object.fromEntries((await admin.collection("things").getFullList()).map((r) => [r.title, r.kind]));
    assert.deepEqual(kinds, { one: "c", two: "c", three: "c", four: "a" });
    await page.getByRole("cell", { name: "c", exact: true }).first().waitFor();

    // A bad value reports the server's reason and changes nothing.
    await page.getByRole("checkbox", { name: `Select record ${made[3].id}` }).check();
    await page.getByRole("button", { name: "Edit selected (1)" }).click();
    await page.getByRole("dialog").getByLabel("Field to set").selectOption("contact");
    await page.getByRole("dialog").getByLabel("New value").fill("not-an-email");
    await page.getByRole("dialog").getByRole("button", { name: "Apply to 1 record(s)" }).click();
    await page.getByRole("dialog").getByRole("alert").filter({ hasText: `${made[3].id}: contact:` }).waitFor();
    await page.keyboard.press("Escape");
    await page.getByRole("dialog").waitFor({ state: "detached" });
    assert.equal((await admin.collection("things").getOne(made[3].id)).contact, "");
    // A cancelled dialog keeps the selection (and gives the focus back to its button).
    await page.getByRole("button", { name: "Edit selected (1)" }).waitFor();
    await page.getByRole("checkbox", { name: `Select record ${made[3].id}` }).uncheck();

    page.once("dialog", (confirm) => confirm.accept());
    await page.getByRole("checkbox", { name: `Select record ${made[0].id}` }).check();
    await page.getByRole("checkbox", { name: `Select record ${made[1].id}` }).check();
    await page.getByRole("button", { name: "Delete selected (2)" }).click();
    await page.getByRole("status").filter({ hasText: "Deleted 2 record(s)." }).waitFor();
    await page.getByText("2 record(s)", { exact: true }).waitFor();
    const left = (await admin.collection("things").getFullList({ sort: "title" })).map((r) => r.title);
    assert.deepEqual(left, ["four", "three"]);
    assert.deepEqual(page.problems.filter((text) => !text.includes("400")), []);
  } finally {
    await server.stop();
  }
});

test("records: CSV export of the filtered records, then import with per-row errors", async () => {
  const server = await startServer({ superuser: true });
  try {
    const admin = await adminClient(server.url);
    const { red, blue } = await createSchema(admin);
    await admin.settings.update({ batch: { enabled: true, maxRequests: 50 } });
    await admin.collection("things").create({ title: 'say "hi", friend', count: 2, labels: ["x", "y"], tags: [red.id, blue.id], meta: { k: [1] } });
    await admin.collection("things").create({ title: "line\nbreak", count: 3, done: true });
    await admin.collection("things").create({ title: "left out", count: 100 });
    const page = await openPage(browser);
    await login(page, server.url);
    await page.goto(`${server.url}/_/#/collections/things`);
    await page.getByLabel("Filter").fill("count < 10");
    await page.getByRole("button", { name: "Apply filter" }).click();
    await page.getByText("2 record(s)").waitFor();
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export CSV" }).click()]);
    assert.equal(download.suggestedFilename(), "things.csv");
    const csv = readFileSync(await download.path(), "utf8");
    await page.getByRole("status").filter({ hasText: "Exported 2 record(s)." }).waitFor();
    const lines = csv.split("\r\n");
    assert.equal(lines[0], "id,title,body,count,done,contact,site,due,kind,labels,meta,doc,private,tags,place,created");
    const stored = await admin.collection("things").getFullList({ filter: "count < 10" });
    const first = stored.find((r) => r.count === 2);
    assert.ok(
      csv.includes(
        `${first.id},"say ""hi"", friend",,2,false,,,,,"[""x"",""y""]","{""k"":[1]}",,[],"[""${red.id}"",""${blue.id}""]","{""lon"":0,""lat"":0}",${first.created}`,
      ),
      csv,
    );
    assert.ok(csv.includes('"line\nbreak",,3,true'), csv);
    assert.equal(csv.includes("left out"), false);

    // Import the exported rows into the emptied collection, plus a row that must fail.
    for (const record of await admin.collection("things").getFullList()) await admin.collection("things").delete(record.id);
    const withBadRow = csv + `,,,notanumber,false,,,,,,,,,,\r\n`;
    await page.getByRole("button", { name: "Import CSV" }).click();
    const dialog = page.getByRole("dialog", { name: "Import things records from CSV" });
    await dialog.getByLabel("CSV file").setInputFiles({ name: "things.csv", mimeType: "text/csv", buffer: Buffer.from(withBadRow) });
    await dialog.getByText("Preview (3 row(s); first 3 shown)").waitFor();
    assert.equal(await dialog.getByLabel("Column created").inputValue(), "", "autodate columns are skipped");
    assert.equal(await dialog.getByLabel("Column title").inputValue(), "title");
    await screenshot(page, "records-csv-import");
    await dialog.getByRole("button", { name: "Import 3 row(s)" }).click();
    await dialog.getByRole("alert").filter({ hasText: "Imported 2 record(s); 1 row(s) failed." }).waitFor();
    await dialog.getByRole("list", { name: "Rows that failed" }).getByText(/^Row 4: /).waitFor();
    await dialog.getByRole("button", { name: "Close", exact: true }).click();
    await page.getByLabel("Filter").fill("");
    await page.getByRole("button", { name: "Apply filter" }).click();
    await page.getByText("2 record(s)").waitFor();
    const imported = await admin.collection("things").getFullList({ sort: "count" });
    assert.deepEqual(
      imported.map((r) => [r.id, r.title, r.count, r.done, r.labels, r.tags, r.meta]),
      stored
        .sort((a, b) => a.count - b.count)
        .map((r) => [r.id, r.title, r.count, r.done, r.labels, r.tags, r.meta]),
    );
    assert.deepEqual(page.problems.filter((text) => !text.includes("400")), []);
  } finally {
    await server.stop();
  }
});

test("records: stored rich text is shown sanitised and saved back clean", async () => {
  const server = await startServer({ superuser: true });
  try {
    const admin = await adminClient(server.url);
    await createSchema(admin);
    const hostile = await admin.collection("things").create({
      title: "hostile",
      body: '<p>ok <b>bold</b></p><img src="x.png" onerror="window.__xss = 1"><script>window.__xss = 2</script><a href="javascript:alert(1)">link</a>',
    });
    const page = await openPage(browser);
    await login(page, server.url);
    await page.goto(`${server.url}/_/#/collections/things/records/${hostile.id}`);
    const body = page.getByRole("textbox", { name: "body" });
    await body.getByText("bold").waitFor();
    assert.equal(await body.evaluate((area) => area.innerHTML), '<p>ok <b>bold</b></p><img src="x.png"><a>link</a>');
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    await body.click();
    await page.keyboard.press("End");
    await page.keyboard.type("!");
    await screenshot(page, "records-rich-text-sanitised");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByRole("cell", { name: "hostile", exact: true }).waitFor();
    const saved = await admin.collection("things").getOne(hostile.id);
    assert.doesNotMatch(saved.body, /onerror|script|javascript/);
    assert.match(saved.body, /<b>bold<\/b>/);
    // Expected noise: Chromium reports the blocked inline handler while parsing the hostile
    // HTML (even in the inert document the sanitiser uses), and x.png does not exist.
    const unexpected = page.problems.filter((text) => !/inline event handler|404 \(Not Found\)/.test(text));
    assert.deepEqual(unexpected, []);
  } finally {
    await server.stop();
  }
});

test("records: auth record extras: set password, send mails, unlink OAuth2, impersonate", async () => {
  const server = await startServer({ superuser: true });
  const receiver = await startSmtpReceiver();
  try {
    const admin = await adminClient(server.url);
    await admin.settings.update({ smtp: { enabled: true, host: "127.0.0.1", port: receiver.port, tls: false } });
    const user = await admin.collection("users").create({ email: "user@example.com", password: "user-pass-1", passwordConfirm: "user-pass-1" });
    await admin.collection("users").create({ email: "other@example.com", password: "user-pass-1", passwordConfirm: "user-pass-1" });
    await admin.collection("_externalAuths").create({ collectionRef: user.collectionId, recordRef: user.id, provider: "google", providerId: "g-123" });
    const page = await openPage(browser, { permissions: ["clipboard-read", "clipboard-write"] });
    await login(page, server.url);
    await page.goto(`${server.url}/_/#/collections/users/records/${user.id}`);
    await page.getByRole("heading", { name: "Edit users record" }).waitFor();

    // Linked OAuth2 accounts: listed, and unlinked after a confirmation.
    await page.getByText("google (g-123)").waitFor();
    page.once("dialog", (dialog) => dialog.accept());
    await page.getByRole("button", { name: "Unlink google" }).click();
    await page.getByText("No linked OAuth2 accounts.").waitFor();
    assert.equal((await admin.collection("_externalAuths").getFullList()).length, 0);

    // The verification and password reset mails go to the record's address.
    await page.getByRole("button", { name: "Send verification email" }).click();
    await page.getByRole("status").filter({ hasText: "Verification e-mail sent to user@example.com." }).waitFor();
    const verification = await receiver.next((m) => m.recipients.includes("user@example.com"));
    assert.match(verification.text, /#\/auth\/confirm-verification\/ey/);
    await page.getByRole("button", { name: "Send password reset email" }).click();
    await page.getByRole("status").filter({ hasText: "Password reset e-mail sent to user@example.com." }).waitFor();
    const reset = await receiver.next((m) => m.recipients.includes("user@example.com"));
    assert.match(reset.text, /#\/auth\/confirm-password-reset\/ey/);

    // Impersonate: a 600 s token, copied to the clipboard, that authenticates as the user.
    await page.getByLabel("Token duration").fill("600");
    await page.getByRole("button", { name: "Impersonate" }).click();
    const tokenBox = page.getByLabel("Impersonation token");
    await tokenBox.waitFor();
    const token = await tokenBox.inputValue();
    await page.getByRole("button", { name: "Copy token" }).click();
    await page.getByRole("status").filter({ hasText: "Token copied" }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), token);
    await screenshot(page, "records-impersonate");
    const payload = getTokenPayload(token);
    assert.equal(payload.id, user.id);
    assert.ok(Math.abs(payload.exp - (Date.now() / 1000 + 600)) < 60, `exp ${payload.exp}`);
    assert.equal(payload.refreshable, false);
    const asUser = new PocketBase(server.url);
    asUser.authStore.save(token, null);
    const visible = await asUser.collection("users").getFullList();
    assert.deepEqual(visible.map((r) => r.email), ["user@example.com"], "the token authenticates as the user");

    // Set a new password (with its confirmation) and mark the record verified.
    await page.getByLabel(/^password( \*)?$/).fill("changed-pass-1");
    await page.getByLabel("password confirm", { exact: true }).fill("changed-pass-1");
    await page.getByLabel("verified", { exact: true }).check();
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByRole("heading", { name: "users", exact: true }).waitFor();
    const signedIn = await new PocketBase(server.url).collection("users").authWithPassword("user@example.com", "changed-pass-1");
    assert.equal(signedIn.record.verified, true);
    assert.deepEqual(page.problems, []);
  } finally {
    await receiver.close();
    await server.stop();
  }
});
