// axe-core in the same browser over the dashboard's main screens (light and dark theme, desktop
// and phone width): no serious or critical violations. axe is injected through the DevTools
// protocol into a context that bypasses the page's CSP, which forbids inline scripts.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { startServer } from "../lib/server.js";
import { launchBrowser, openPage, screenshot } from "../lib/browser.js";
import { login, adminClient } from "../lib/ui.js";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

async function seriousViolations(page) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  return result.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map((violation) => `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(" ")).join(", ")})`);
}

async function check(page, name, found) {
  const violations = await seriousViolations(page);
  await screenshot(page, `a11y-${name}`);
  found.push(...violations.map((violation) => `${name}: ${violation}`));
}

for (const variant of [
  { name: "light", viewport: { width: 1200, height: 800 }, theme: "light" },
  { name: "dark-phone", viewport: { width: 390, height: 844 }, theme: "dark" },
]) {
  test(`main screens have no serious or critical axe violations (${variant.name})`, async () => {
    const server = await startServer();
    const found = [];
    try {
      const page = await openPage(browser, { bypassCSP: true, viewport: variant.viewport });
      await page.addInitScript((theme) => localStorage.setItem("pb_theme", theme), variant.theme);
      const link = server.output().match(/http:\/\/\S+\/_\/#\/pbinstall\/\S+/)[0];
      await page.goto(link);
      await page.getByRole("heading", { name: "Create your first superuser" }).waitFor();
      await check(page, `${variant.name}-installer`, found);
      await page.getByLabel("Email").fill("admin@example.com");
      await page.getByLabel("Password", { exact: true }).fill("passpass123");
      await page.getByLabel("Password confirm").fill("passpass123");
      await page.getByRole("button", { name: "Create superuser and sign in" }).click();
      // On a phone the header links sit behind the "Menu" button: wait for the layout only.
      await page.getByRole("button", { name: "Logout", includeHidden: true }).waitFor({ state: "attached" });

      const admin = await adminClient(server.url);
      await admin.collections.create({
        name: "notes",
        type: "base",
        fields: [
          { name: "title", type: "text" },
          { name: "count", type: "number" },
          { name: "done", type: "bool" },
          { name: "kind", type: "select", values: ["a", "b"], maxSelect: 1 },
          { name: "data", type: "json" },
        ],
      });
      await admin.collection("notes").create({ title: "first", count: 1, done: true, kind: "a", data: { x: 1 } });

      if (await page.getByRole("button", { name: "Menu", exact: true }).isVisible()) await page.getByRole("button", { name: "Menu", exact: true }).click();
      await page.getByRole("button", { name: "Logout" }).click();
      await page.getByRole("heading", { name: "Superuser login" }).waitFor();
      await check(page, `${variant.name}-login`, found);
      await login(page, server.url);
      await page.goto(`${server.url}/_/#/collections/notes`);
      await page.getByRole("cell", { name: "first" }).waitFor();
      await check(page, `${variant.name}-records`, found);
      await page.getByRole("link", { name: "New record" }).click();
      await page.getByRole("heading", { name: "New notes record" }).waitFor();
      await check(page, `${variant.name}-record-editor`, found);
      await page.goto(`${server.url}/_/#/collections/notes/edit`);
      await page.getByRole("heading", { name: "Edit collection notes" }).waitFor();
      await check(page, `${variant.name}-collection-editor`, found);
      // Records area: the CSV import dialog and an auth record's editor (extras, impersonate).
      await page.goto(`${server.url}/_/#/collections/notes`);
      await page.getByRole("button", { name: "Import CSV" }).click();
      await page.getByRole("dialog").waitFor();
      await check(page, `${variant.name}-records-csv-import`, found);
      await page.keyboard.press("Escape");
      const user = await admin.collection("users").create({ email: "a11y@example.com", password: "passpass123", passwordConfirm: "passpass123" });
      await page.goto(`${server.url}/_/#/collections/users/records/${user.id}`);
      await page.getByRole("button", { name: "Impersonate" }).waitFor();
      await check(page, `${variant.name}-auth-record-editor`, found);
      // Settings and logs screens.
      await page.goto(`${server.url}/_/#/settings/mail`);
      await page.getByRole("heading", { name: "Mail settings" }).waitFor();
      await check(page, `${variant.name}-settings-mail`, found);
      await page.goto(`${server.url}/_/#/settings/backups`);
      await page.getByText("No backups yet.").waitFor();
      await check(page, `${variant.name}-settings-backups`, found);
      await page.goto(`${server.url}/_/#/settings/rate-limits`);
      await page.getByRole("table", { name: /Rules/ }).waitFor();
      await check(page, `${variant.name}-settings-rate-limits`, found);
      await page.goto(`${server.url}/_/#/logs`);
      await page.getByRole("heading", { name: "Logs", exact: true }).waitFor();
      await page.getByRole("button", { name: /^GET \/api\// }).first().waitFor();
      await check(page, `${variant.name}-logs`, found);
      // Polish: the shared dialog (log details), and on a phone the opened menu.
      await page.getByRole("button", { name: /^GET \/api\// }).first().click();
      await page.getByRole("dialog", { name: "Log details" }).getByText("data.status").waitFor();
      await check(page, `${variant.name}-log-detail-dialog`, found);
      await page.keyboard.press("Escape");
      if (await page.getByRole("button", { name: "Menu", exact: true }).isVisible()) {
        await page.getByRole("button", { name: "Menu", exact: true }).click();
        await page.getByRole("navigation", { name: "Collections" }).waitFor();
        await check(page, `${variant.name}-menu-open`, found);
      }
      // Collections area: an auth collection's editor with its options open, the rules
      // autocomplete, the changes review, the rules overview and the API preview.
      await page.goto(`${server.url}/_/#/collections/users/edit`);
      await page.getByRole("heading", { name: "Edit collection users" }).waitFor();
      const closed = page.locator("main details:not([open]) > summary");
      while ((await closed.count()) > 0) await closed.first().click();
      await page.locator("#rule-listRule").fill("");
      await page.locator("#rule-listRule").pressSequentially("ver");
      await page.locator("#rule-listRule-suggestions").getByRole("option").first().waitFor();
      await check(page, `${variant.name}-auth-collection-editor`, found);
      await page.locator("#rule-listRule").fill("verified = true");
      await page.getByRole("button", { name: "Save collection" }).click();
      await page.getByRole("dialog", { name: "Review the changes" }).waitFor();
      await check(page, `${variant.name}-changes-review`, found);
      await page.keyboard.press("Escape");
      await page.goto(`${server.url}/_/#/rules`);
      await page.getByRole("heading", { name: "API rules overview" }).waitFor();
      await check(page, `${variant.name}-rules-overview`, found);
      await page.goto(`${server.url}/_/#/collections/notes/api`);
      await page.getByRole("heading", { name: "API preview: notes" }).waitFor();
      await check(page, `${variant.name}-api-preview`, found);
    } finally {
      await server.stop();
    }
    assert.deepEqual(found, []);
  });
}
