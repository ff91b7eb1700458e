// Issue #5 in a real browser: a page served from --publicDir subscribes with the JS SDK's
// browser bundle; this test, as another client, creates, updates and deletes records and the
// page must list the events in that order.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import PocketBase from "pocketbase";
import { startServer, SUPERUSER } from "../lib/server.js";
import { launchBrowser, openPage, screenshot } from "../lib/browser.js";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test("a browser page receives create, update and delete events in order", async () => {
  const publicDir = mkdtempSync(join(tmpdir(), "pb-public-"));
  cpSync(join(here, "..", "realtime"), publicDir, { recursive: true });
  const sdkBundle = join(dirname(require.resolve("pocketbase")), "pocketbase.umd.js");
  cpSync(sdkBundle, join(publicDir, "pocketbase.umd.js"));
  const server = await startServer({ superuser: true, publicDir });
  try {
    const admin = new PocketBase(server.url);
    await admin.collection("_superusers").authWithPassword(SUPERUSER.email, SUPERUSER.password);
    await admin.collections.create({
      name: "posts",
      type: "base",
      listRule: "",
      viewRule: "",
      fields: [{ name: "title", type: "text" }],
    });

    const page = await openPage(browser);
    await page.goto(`${server.url}/index.html#posts`);
    await page.locator("#status", { hasText: "subscribed" }).waitFor();

    const created = await admin.collection("posts").create({ title: "one" });
    await page.locator("#events li").nth(0).waitFor();
    await admin.collection("posts").update(created.id, { title: "two" });
    await page.locator("#events li").nth(1).waitFor();
    await admin.collection("posts").delete(created.id);
    await page.locator("#events li").nth(2).waitFor();

    assert.deepEqual(await page.locator("#events li").allTextContents(), ["create one", "update two", "delete two"]);
    await screenshot(page, "realtime-events");
    assert.deepEqual(page.problems, []);
    const left = await admin.collection("posts").getFullList();
    assert.equal(left.length, 0);
  } finally {
    await server.stop();
    rmSync(publicDir, { recursive: true, force: true });
  }
});
