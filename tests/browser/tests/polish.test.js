// Dashboard polish in a real browser: dialogs that keep the focus inside and give it back,
// the phone-sized layout (collapsed menus, no sideways page scroll), keyboard-only use with a
// visible focus everywhere, read-only view collections, "select all matching" bulk actions
// through batch requests, the rich-text link dialog, and settings.meta.hideControls. Each test
// checks the page and what the API then holds, and saves a screenshot.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, SUPERUSER } from "../lib/server.js";
import { launchBrowser, openPage, screenshot } from "../lib/browser.js";
import { login, adminClient } from "../lib/ui.js";

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** `notes` (a few fields) with `count` records titled "note 1".."note N". */
async function notes(admin, count = 3, extraFields = []) {
  await admin.collections.create({
    name: "notes",
    type: "base",
    fields: [
      { name: "title", type: "text" },
      { name: "kind", type: "select", values: ["a", "b", "c"], maxSelect: 1 },
      { name: "body", type: "editor" },
      ...extraFields,
    ],
  });
  const made = [];
  for (let i = 1; i <= count; i += 1) made.push(await admin.collection("notes").create({ title: `note ${i}`, kind: "a" }));
  return made;
}

async function settled(page) {
  await page.waitForFunction(() => !document.querySelector("table[aria-busy='true']"));
}

/** Whether the focused element is inside the open dialog. */
function focusInDialog(page) {
  return page.evaluate(() => !!document.activeElement?.closest("dialog[open]"));
}

/** Tab and Shift+Tab around the open dialog more times than it has controls: focus stays in. */
async function assertFocusTrapped(page, dialog) {
  const controls = await dialog.evaluate(
    (element) => element.querySelectorAll("a[href], button, input, select, textarea, [contenteditable='true']").length,
  );
  assert.ok(controls > 0);
  for (const key of ["Tab", "Shift+Tab"]) {
    for (let i = 0; i < controls + 2; i += 1) {
      await page.keyboard.press(key);
      assert.equal(await focusInDialog(page), true, `${key} #${i + 1} left the dialog`);
    }
  }
}

/** The accessible text of the focused element (aria-label or its text). */
function focusedName(page) {
  return page.evaluate(() => document.activeElement?.getAttribute("aria-label") || document.activeElement?.textContent?.trim() || "");
}

/** Whether the document scrolls sideways (it must not on a phone). */
function pageOverflows(page) {
  return page.evaluate(
    () =>
      document.documentElement.scrollWidth > document.documentElement.clientWidth ||
      document.body.scrollWidth > document.body.clientWidth,
  );
}

test("polish: dialogs keep Tab inside, close on Escape and return the focus to their opener", async () => {
  const server = await startServer({ superuser: true });
  try {
    const admin = await adminClient(server.url);
    const made = await notes(admin, 2);
    await admin.backups.create("keep.zip");
    const page = await openPage(browser);
    await login(page, server.url);

    // Records: the bulk edit dialog (records' Modal on the shared dialog).
    await page.goto(`${server.url}/_/#/collections/notes`);
    await settled(page);
    await page.getByLabel("Select all records on this page").check();
    await page.getByRole("button", { name: "Edit selected (2)" }).focus();
    await page.keyboard.press("Enter");
    const bulk = page.getByRole("dialog", { name: "Edit 2 selected record(s)" });
    await bulk.waitFor();
    assert.equal(await focusInDialog(page), true, "opening moves the focus into the dialog");
    await assertFocusTrapped(page, bulk);
    await screenshot(page, "polish-dialog-bulk-edit");
    await page.keyboard.press("Escape");
    await bulk.waitFor({ state: "detached" });
    assert.equal(await focusedName(page), "Edit selected (2)");
    // Escape in the dialog did not leave the screen, and nothing was written.
    await page.getByRole("heading", { name: "notes", exact: true }).waitFor();
    for (const record of made) assert.equal((await admin.collection("notes").getOne(record.id)).kind, "a");

    // Settings: the backup restore confirmation.
    await page.goto(`${server.url}/_/#/settings/backups`);
    const restoreButton = page.getByRole("button", { name: "Restore keep.zip" });
    await restoreButton.click();
    const restore = page.getByRole("dialog", { name: "Restore keep.zip?" });
    await restore.waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), "restore-confirm");
    await assertFocusTrapped(page, restore);
    await page.keyboard.press("Escape");
    await restore.waitFor({ state: "detached" });
    assert.equal(await focusedName(page), "Restore keep.zip");
    assert.deepEqual((await admin.backups.getFullList()).map((b) => b.key), ["keep.zip"]);

    // Logs: the detail dialog.
    await page.goto(`${server.url}/_/#/logs`);
    const opener = page.getByRole("button", { name: /^GET \/api\// }).first();
    const openerName = (await opener.textContent()).trim();
    await opener.click();
    const detail = page.getByRole("dialog", { name: "Log details" });
    await detail.getByText("data.status").waitFor();
    await assertFocusTrapped(page, detail);
    await screenshot(page, "polish-dialog-log-detail");
    await page.keyboard.press("Escape");
    await detail.waitFor({ state: "detached" });
    assert.equal(await focusedName(page), openerName);
    assert.ok((await admin.logs.getList(1, 1)).totalItems > 0);
    assert.deepEqual(page.problems, []);
  } finally {
    await server.stop();
  }
});

test("polish: the rich-text link button asks in a dialog, not prompt()", async () => {
  const server = await startServer({ superuser: true });
  try {
    const admin = await adminClient(server.url);
    const [first] = await notes(admin, 1);
    const page = await openPage(browser);
    const prompts = [];
    page.on("dialog", (dialog) => {
      prompts.push(dialog.type());
      dialog.dismiss();
    });
    await login(page, server.url);
    await page.goto(`${server.url}/_/#/collections/notes/records/${first.id}`);
    const body = page.getByRole("textbox", { name: "body" });
    await body.click();
    await page.keyboard.type("see the docs");
    // Select the word "docs" (the last four characters).
    await page.keyboard.down("Shift");
    for (let i = 0; i < 4; i += 1) await page.keyboard.press("ArrowLeft");
    await page.keyboard.up("Shift");
    const linkButton = page.getByRole("button", { name: "Link" });
    await linkButton.click();
    const dialog = page.getByRole("dialog", { name: "Insert link" });
    await dialog.waitFor();
    const address = dialog.getByLabel("Link address");
    assert.equal(await page.evaluate(() => document.activeElement?.id), "field-body-link-url");
    await address.fill("https://example.com/docs");
    // Enter applies the link; it does not submit the record form around the dialog.
    await page.keyboard.press("Enter");
    await dialog.waitFor({ state: "detached" });
    await page.getByRole("heading", { name: "Edit notes record" }).waitFor();
    assert.equal(await body.locator("a").getAttribute("href"), "https://example.com/docs");
    assert.equal(await body.locator("a").textContent(), "docs");
    await screenshot(page, "polish-rich-text-link");

    // Cancel leaves the text alone; Escape closes without saving the record.
    await linkButton.click();
    await dialog.waitFor();
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    await page.getByRole("heading", { name: "Edit notes record" }).waitFor();

    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByRole("heading", { name: "notes", exact: true }).waitFor();
    const saved = await admin.collection("notes").getOne(first.id);
    assert.equal(saved.body, 'see the <a href="https://example.com/docs">docs</a>');
    assert.deepEqual(prompts, [], "no prompt()/alert()");
  } finally {
    await server.stop();
  }
});

test("polish: a 375x667 screen uses collapsed menus and never scrolls sideways", async () => {
  const server = await startServer({ superuser: true });
  try {
    const admin = await adminClient(server.url);
    // Many wide columns: the records table has to scroll inside its own box.
    const wide = Array.from({ length: 8 }, (_, i) => ({ name: `column_${i}`, type: "text" }));
    const [first] = await notes(admin, 2, wide);
    await admin.collection("notes").update(first.id, Object.fromEntries(wide.map((f) => [f.name, "a fairly long value"])));
    const page = await openPage(browser, { viewport: { width: 375, height: 667 } });
    await login(page, server.url);

    const menu = page.getByRole("button", { name: "Menu", exact: true });
    const collectionsNav = page.getByRole("navigation", { name: "Collections" });
    await menu.waitFor();
    assert.equal(await menu.getAttribute("aria-expanded"), "false");
    assert.equal(await collectionsNav.isVisible(), false, "the sidebar is folded away");
    assert.equal(await page.getByRole("link", { name: "Settings" }).isVisible(), false);

    // collections -> records
    await menu.click();
    assert.equal(await menu.getAttribute("aria-expanded"), "true");
    await collectionsNav.getByRole("link", { name: "notes" }).click();
    await page.getByRole("heading", { name: "notes", exact: true }).waitFor();
    await settled(page);
    assert.equal(await collectionsNav.isVisible(), false, "navigating closes the menu");
    assert.equal(await pageOverflows(page), false, "records page scrolls sideways");
    const tableScrolls = await page.locator(".table-wrap").first().evaluate((box) => box.scrollWidth > box.clientWidth);
    assert.equal(tableScrolls, true, "the records table scrolls inside its box");
    await screenshot(page, "polish-phone-records");

    // records -> record editor: edit and save on the phone.
    await page.getByRole("link", { name: first.id }).click();
    await page.getByRole("heading", { name: "Edit notes record" }).waitFor();
    assert.equal(await pageOverflows(page), false, "record editor scrolls sideways");
    await page.getByLabel("title", { exact: true }).fill("edited on a phone");
    await screenshot(page, "polish-phone-record-editor");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByRole("heading", { name: "notes", exact: true }).waitFor();
    assert.equal((await admin.collection("notes").getOne(first.id)).title, "edited on a phone");

    // -> settings, whose page list is a select here.
    await menu.click();
    await page.getByRole("link", { name: "Settings" }).click();
    await page.getByRole("heading", { name: "Application" }).waitFor();
    assert.equal(await page.getByRole("navigation", { name: "Settings pages" }).isVisible(), false);
    await page.getByLabel("Settings page", { exact: true }).selectOption({ label: "Mail settings" });
    await page.getByRole("heading", { name: "Mail settings" }).waitFor();
    assert.equal(await pageOverflows(page), false, "settings scroll sideways");
    await screenshot(page, "polish-phone-settings");

    // -> logs
    await menu.click();
    await page.getByRole("link", { name: "Logs" }).click();
    await page.getByRole("heading", { name: "Logs", exact: true }).waitFor();
    await page.getByRole("button", { name: /^GET \/api\// }).first().waitFor();
    assert.equal(await pageOverflows(page), false, "logs scroll sideways");
    await screenshot(page, "polish-phone-logs");

    // Escape closes the open menu and puts the focus back on its button.
    await menu.click();
    await collectionsNav.waitFor();
    await page.keyboard.press("Escape");
    await collectionsNav.waitFor({ state: "hidden" });
    assert.equal(await focusedName(page), "Menu");
    assert.deepEqual(page.problems, []);
  } finally {
    await server.stop();
  }
});

/**
 * Presses Tab until the focused element matches `name` (accessible name or label text),
 * checking on the way that every focused element shows a focus outline.
 */
async function tabTo(page, name, key = "Tab", max = 80) {
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press(key);
    const focused = await page.evaluate(() => {
      const element = document.activeElement;
      const label = element?.id ? document.querySelector(`label[for="${element.id}"]`)?.textContent : "";
      const style = element ? getComputedStyle(element) : null;
      return {
        name: (element?.getAttribute("aria-label") || label || element?.textContent || "").trim(),
        outline: style ? style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0 : false,
        tag: element?.tagName,
      };
    });
    if (focused.tag !== "BODY") assert.equal(focused.outline, true, `no visible focus on ${focused.tag} "${focused.name}"`);
    if (name instanceof RegExp ? name.test(focused.name) : focused.name === name) return;
  }
  throw new Error(`Tab never reached ${name}`);
}

test("polish: keyboard only: log in, open a record, save it; focus always visible", async () => {
  const server = await startServer({ superuser: true });
  try {
    const admin = await adminClient(server.url);
    const [first] = await notes(admin, 2);
    const page = await openPage(browser);
    await page.goto(`${server.url}/_/`);
    await page.getByRole("heading", { name: "Superuser login" }).waitFor();
    await tabTo(page, "Email");
    await page.keyboard.type(SUPERUSER.email);
    await tabTo(page, "Password");
    await page.keyboard.type(SUPERUSER.password);
    await page.keyboard.press("Enter");
    await page.getByRole("button", { name: "Logout" }).waitFor();
    await page.getByRole("heading", { name: "notes", exact: true }).waitFor();
    await settled(page);

    // The first Tab reaches the skip link, shown on focus; it moves the focus to the content.
    await page.keyboard.press("Tab");
    assert.equal(await focusedName(page), "Skip to content");
    const box = await page.getByRole("link", { name: "Skip to content" }).boundingBox();
    assert.ok(box && box.y >= 0 && box.height > 0, "the skip link is on screen when focused");
    await screenshot(page, "polish-keyboard-skip-link");
    await page.keyboard.press("Enter");
    assert.equal(await page.evaluate(() => document.activeElement?.id), "main");
    assert.equal(await page.evaluate(() => location.hash), "#/collections/notes", "the skip link keeps the route");

    // The navigation is reachable: back from the content to the collection's link in the sidebar.
    await tabTo(page, "notes", "Shift+Tab");
    await page.keyboard.press("Enter");
    await settled(page);
    await tabTo(page, first.id);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Edit notes record" }).waitFor();
    await tabTo(page, "title");
    await page.keyboard.press("ControlOrMeta+A");
    await page.keyboard.type("saved by keyboard");
    await screenshot(page, "polish-keyboard-editor");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "notes", exact: true }).waitFor();
    await settled(page);
    assert.equal((await admin.collection("notes").getOne(first.id)).title, "saved by keyboard");
    assert.deepEqual(page.problems, []);
  } finally {
    await server.stop();
  }
});

test("polish: view collections are read-only in the browser and editor; _superusers stay editable", async () => {
  const server = await startServer({ superuser: true });
  try {
    const admin = await adminClient(server.url);
    const [first] = await notes(admin, 2);
    await admin.collections.create({ name: "notes_view", type: "view", viewQuery: "SELECT id, title FROM notes" });
    const other = await admin.collection("_superusers").create({
      email: "second@example.com",
      password: "passpass123",
      passwordConfirm: "passpass123",
    });
    const page = await openPage(browser);
    await login(page, server.url);

    await page.goto(`${server.url}/_/#/collections/notes_view`);
    await page.getByRole("heading", { name: "notes_view", exact: true }).waitFor();
    await settled(page);
    await page.getByRole("cell", { name: "note 1" }).waitFor();
    await page.getByText("View collection: its records are read-only.").waitFor();
    for (const name of ["New record", "Import CSV"]) {
      assert.equal(await page.getByRole("link", { name }).or(page.getByRole("button", { name })).count(), 0, name);
    }
    assert.equal(await page.getByRole("main").getByRole("checkbox").count(), 0, "no selection, so no bulk edit or delete");
    await page.getByRole("button", { name: "Export CSV" }).waitFor();
    await screenshot(page, "polish-view-records");

    await page.getByRole("link", { name: first.id }).click();
    await page.getByRole("heading", { name: "View notes_view record" }).waitFor();
    const main = page.getByRole("main");
    await main.getByText("note 1", { exact: true }).waitFor();
    assert.equal(await main.locator("input, textarea, select, [contenteditable='true']").count(), 0);
    assert.equal(await main.getByRole("button", { name: /Save|Delete/ }).count(), 0);
    await screenshot(page, "polish-view-record");
    await page.goto(`${server.url}/_/#/collections/notes_view/records/new`);
    await page.getByText("This is a view collection: records cannot be created in it.").waitFor();
    assert.equal((await admin.collection("notes_view").getList(1, 10)).totalItems, 2);

    // A _superusers record (a system auth collection) is edited as any auth record.
    await page.goto(`${server.url}/_/#/collections/_superusers/records/${other.id}`);
    await page.getByRole("heading", { name: "Edit _superusers record" }).waitFor();
    await page.getByLabel("email *", { exact: true }).fill("renamed@example.com");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByRole("heading", { name: "_superusers", exact: true }).waitFor();
    assert.equal((await admin.collection("_superusers").getOne(other.id)).email, "renamed@example.com");
  } finally {
    await server.stop();
  }
});

/** Polls the request logs until `filter` matches `count` logs (they are written in batches). */
async function waitForLogs(admin, filter, count) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const found = await admin.logs.getList(1, 200, { filter });
    if (found.totalItems >= count || Date.now() > deadline) return found;
    await new Promise((r) => setTimeout(r, 200));
  }
}

test("polish: select all records matching the filter across pages; bulk delete via batch, bulk edit", async () => {
  const server = await startServer({ superuser: true });
  try {
    const admin = await adminClient(server.url);
    await notes(admin, 0);
    for (let i = 1; i <= 25; i += 1) await admin.collection("notes").create({ title: `a ${i}`, kind: "a" });
    for (let i = 1; i <= 12; i += 1) await admin.collection("notes").create({ title: `b ${i}`, kind: "b" });
    await admin.settings.update({ batch: { enabled: true, maxRequests: 10, timeout: 3, maxBodySize: 0 } });

    const page = await openPage(browser);
    page.on("dialog", (dialog) => dialog.accept());
    await login(page, server.url);
    await page.goto(`${server.url}/_/#/collections/notes`);
    await settled(page);
    await page.getByLabel("Per page").selectOption("10");
    await page.getByLabel("Filter", { exact: true }).fill('kind = "a"');
    await page.keyboard.press("Enter");
    await page.getByText("Page 1 of 3").waitFor();
    await page.getByLabel("Select all records on this page").check();
    await page.getByText("10 record(s) selected.").waitFor();
    await page.getByRole("button", { name: "Select all 25 matching record(s)" }).click();
    await page.getByText("All 25 matching record(s) are selected.").waitFor();
    // The selection spans pages: page 3 shows its 5 records checked.
    await page.getByRole("button", { name: "Next page" }).click();
    await page.getByRole("button", { name: "Next page" }).click();
    await page.getByText("Page 3 of 3").waitFor();
    await settled(page);
    assert.equal(await page.getByRole("checkbox", { name: /^Select record / }).count(), 5);
    for (const box of await page.getByRole("checkbox", { name: /^Select record / }).all()) assert.equal(await box.isChecked(), true);
    await page.getByText("All 25 matching record(s) are selected.").waitFor();
    await screenshot(page, "polish-select-all-matching");
    await page.getByRole("button", { name: "Delete selected (25)" }).click();
    await page.getByText("Deleted 25 record(s).").waitFor();
    await page.getByText("0 record(s)", { exact: true }).waitFor();

    assert.equal((await admin.collection("notes").getList(1, 1, { filter: 'kind = "a"' })).totalItems, 0);
    assert.equal((await admin.collection("notes").getList(1, 1, { filter: 'kind = "b"' })).totalItems, 12);
    // Three batch requests of at most 10 deletes each, and no single DELETE request.
    const batches = await waitForLogs(admin, 'data.url = "/api/batch"', 3);
    assert.equal(batches.totalItems, 3);
    assert.equal((await admin.logs.getList(1, 1, { filter: 'data.method = "DELETE"' })).totalItems, 0);

    // With batch off, bulk edit over every matching record goes one request at a time.
    await admin.settings.update({ batch: { enabled: false } });
    await page.getByLabel("Filter", { exact: true }).fill('kind = "b"');
    await page.keyboard.press("Enter");
    await page.getByText("Page 1 of 2").waitFor();
    await page.getByLabel("Select all records on this page").check();
    await page.getByRole("button", { name: "Select all 12 matching record(s)" }).click();
    await page.getByText("All 12 matching record(s) are selected.").waitFor();
    await page.getByRole("button", { name: "Edit selected (12)" }).click();
    const dialog = page.getByRole("dialog", { name: "Edit 12 selected record(s)" });
    await dialog.getByLabel("Field to set").selectOption("kind");
    await dialog.getByLabel("New value").selectOption("c");
    await dialog.getByRole("button", { name: "Apply to 12 record(s)" }).click();
    await page.getByText("Updated kind on 12 record(s).").waitFor();
    assert.equal((await admin.collection("notes").getList(1, 1, { filter: 'kind = "c"' })).totalItems, 12);
    const patches = await waitForLogs(admin, 'data.method = "PATCH" && data.url ~ "/api/collections/"', 12);
    assert.equal(patches.totalItems, 12);
    assert.equal((await admin.logs.getList(1, 1, { filter: 'data.url = "/api/batch"' })).totalItems, 3);
  } finally {
    await server.stop();
  }
});

test("polish: settings.meta.hideControls hides the collection edit entry points", async () => {
  const server = await startServer({ superuser: true });
  try {
    const admin = await adminClient(server.url);
    await notes(admin, 1);
    await admin.settings.update({ meta: { hideControls: true } });
    const page = await openPage(browser);
    await login(page, server.url);
    await page.goto(`${server.url}/_/#/collections/notes`);
    await page.getByRole("heading", { name: "notes", exact: true }).waitFor();
    await settled(page);
    assert.equal(await page.getByRole("link", { name: "Edit collection" }).count(), 0);
    assert.equal(await page.getByRole("link", { name: "+ New collection" }).count(), 0);
    await page.goto(`${server.url}/_/#/collections/notes/edit`);
    await page.getByRole("heading", { name: "Collection controls are hidden" }).waitFor();
    await page.goto(`${server.url}/_/#/collections/new`);
    await page.getByRole("heading", { name: "Collection controls are hidden" }).waitFor();
    await screenshot(page, "polish-hide-controls");

    // Turned off in the application settings, the controls come back without a reload.
    await page.getByRole("link", { name: "Change it in the application settings" }).click();
    const box = page.getByLabel("Hide collection create and edit controls");
    assert.equal(await box.isChecked(), true);
    await box.uncheck();
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByRole("status").filter({ hasText: "Saved." }).waitFor();
    assert.equal((await admin.settings.getAll()).meta.hideControls, false);
    await page.goto(`${server.url}/_/#/collections/notes`);
    await page.getByRole("link", { name: "Edit collection" }).waitFor();
    await page.getByRole("link", { name: "+ New collection" }).waitFor();
  } finally {
    await server.stop();
  }
});
