// The logs screen in a real browser: requests just made show up in the list and the chart, a
// filter in PocketBase's syntax narrows them, and one log opens in a detail dialog. Checks what
// the page shows against what GET /api/logs holds, and saves a screenshot.
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

test("the logs page lists the requests just made, filters them and opens one", async () => {
  const server = await startServer({ superuser: true });
  try {
    // A few requests of our own: two that fail (404) and one that works.
    for (const path of ["/api/collections/nothing_here/records", "/api/collections/missing_too/records", "/api/health?probe=1"]) {
      await fetch(`${server.url}${path}`);
    }
    const admin = await adminClient(server.url);
    // Logs are written in the background: wait until the API has them.
    const deadline = Date.now() + 20_000;
    let failures;
    for (;;) {
      failures = await admin.logs.getList(1, 50, { filter: 'data.status >= 400 && message ~ "/api/collections/"' });
      if (failures.totalItems >= 2 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(failures.totalItems, 2);

    const page = await openPage(browser);
    await login(page, server.url);
    await page.getByRole("link", { name: "Logs" }).click();
    await page.getByRole("heading", { name: "Logs", exact: true }).waitFor();
    await page.getByRole("button", { name: "GET /api/collections/nothing_here/records" }).waitFor();
    await page.getByRole("button", { name: "GET /api/health?probe=1" }).waitFor();
    await page.getByRole("img", { name: /request\(s\) in/ }).waitFor();

    await page.getByLabel("Filter logs").fill('data.status >= 400 && message ~ "/api/collections/"');
    await page.getByRole("button", { name: "Apply filter" }).click();
    await page.getByText("2 log(s)", { exact: true }).waitFor();
    assert.equal(await page.getByRole("button", { name: "GET /api/health?probe=1" }).count(), 0);
    const figure = await page.locator("figcaption").textContent();
    assert.match(figure, /^2 request\(s\) in 1 hour\(s\) with logs/);

    // The level filter adds to the text filter: no INFO log is a 404.
    await page.getByLabel("Level", { exact: true }).selectOption("0");
    await page.getByText("0 log(s)", { exact: true }).waitFor();
    await page.getByLabel("Level", { exact: true }).selectOption("8");
    await page.getByText("2 log(s)", { exact: true }).waitFor();

    await page.getByRole("button", { name: "GET /api/collections/missing_too/records" }).click();
    const dialog = page.getByRole("dialog", { name: "Log details" });
    await dialog.getByText("data.status").waitFor();
    const id = failures.items.find((log) => log.message.includes("missing_too")).id;
    await dialog.getByText(id, { exact: true }).waitFor();
    assert.match(await dialog.textContent(), /data\.status\s*404/);
    await screenshot(page, "logs-detail");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });

    // The logs settings save through the same page.
    await page.getByText("Logs settings", { exact: true }).click();
    await page.getByLabel("Keep logs for (days)").fill("3");
    await page.getByRole("button", { name: "Save logs settings" }).click();
    await page.getByRole("status").filter({ hasText: "Saved." }).waitFor();
    assert.equal((await admin.settings.getAll()).logs.maxDays, 3);
    await screenshot(page, "logs-list");
    assert.deepEqual(page.problems, []);
  } finally {
    await server.stop();
  }
});
