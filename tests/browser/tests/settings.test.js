// The settings pages in a real browser: SMTP settings and a test mail caught by a local SMTP
// server; a backup created, downloaded and restored (with the server coming back); and
// collections exported then imported through the side-by-side review. Each test checks what
// the page shows and what the API holds afterwards, and saves a screenshot.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { SMTPServer } from "smtp-server";
import { startServer, freePort } from "../lib/server.js";
import { launchBrowser, openPage, screenshot } from "../lib/browser.js";
import { login, adminClient } from "../lib/ui.js";

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/**
 * An SMTP receiver on a free loopback port; `mailTo(address)` resolves with the next message
 * to that address (other mails, e.g. login alerts to the superuser, are kept aside).
 */
async function startMailReceiver() {
  const mails = [];
  const waiting = [];
  const deliver = () => {
    for (const waiter of [...waiting]) {
      const index = mails.findIndex((mail) => mail.to.includes(waiter.address));
      if (index >= 0) {
        waiting.splice(waiting.indexOf(waiter), 1);
        waiter.resolve(mails.splice(index, 1)[0]);
      }
    }
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, session, callback) {
      let raw = "";
      stream.on("data", (chunk) => (raw += chunk));
      stream.on("end", () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw });
        deliver();
        callback();
      });
    },
  });
  const port = await freePort();
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    port,
    mailTo(address, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no mail to ${address} in time`)), timeoutMs);
        waiting.push({
          address,
          resolve: (mail) => {
            clearTimeout(timer);
            resolve(mail);
          },
        });
        deliver();
      });
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

test("SMTP settings are saved and a test email reaches a local receiver", async () => {
  const server = await startServer({ superuser: true });
  const receiver = await startMailReceiver();
  try {
    const page = await openPage(browser);
    await login(page, server.url);
    await page.getByRole("link", { name: "Settings" }).click();
    await page.getByRole("link", { name: "Mail settings" }).click();
    await page.getByRole("heading", { name: "Mail settings" }).waitFor();

    await page.getByLabel("Sender name").fill("Robot");
    await page.getByLabel("Sender address").fill("robot@example.com");
    await page.getByLabel("Use an SMTP mail server").check();
    await page.getByLabel("SMTP host").fill("127.0.0.1");
    await page.getByLabel("Port", { exact: true }).fill(String(receiver.port));
    // The test mail goes through the saved settings, so it waits for the save.
    assert.equal(await page.getByRole("button", { name: "Send test email" }).isDisabled(), true);
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByRole("status").filter({ hasText: "Saved." }).waitFor();

    const admin = await adminClient(server.url);
    const settings = await admin.settings.getAll();
    assert.equal(settings.smtp.enabled, true);
    assert.equal(settings.smtp.host, "127.0.0.1");
    assert.equal(settings.smtp.port, receiver.port);
    assert.equal(settings.meta.senderAddress, "robot@example.com");
    assert.equal(settings.meta.senderName, "Robot");

    // A bad address is refused with PocketBase's field error shown beside the input.
    await page.getByLabel("Test recipient").fill("not-an-address");
    await page.getByRole("button", { name: "Send test email" }).click();
    await page.getByText("Must be a valid email address.").waitFor();

    await page.getByLabel("Test recipient").fill("inbox@example.com");
    await page.getByLabel("Template").selectOption("password-reset");
    await page.getByRole("button", { name: "Send test email" }).click();
    await page.getByRole("status").filter({ hasText: "Test email sent to inbox@example.com." }).waitFor();
    const mail = await receiver.mailTo("inbox@example.com");
    assert.deepEqual(mail.to, ["inbox@example.com"]);
    assert.match(mail.raw, /^Subject: Reset your Acme password\r?$/m);
    assert.match(mail.raw, /^From: Robot <robot@example.com>\r?$/m);
    await screenshot(page, "settings-mail-test-sent");
    // The one console error is the refused bad address above.
    assert.deepEqual(page.problems, ["Failed to load resource: the server responded with a status of 400 (Bad Request)"]);
  } finally {
    await receiver.close();
    await server.stop();
  }
});

test("a backup is created, downloaded, and restored while the page waits for the server", async () => {
  const server = await startServer({ superuser: true });
  try {
    const admin = await adminClient(server.url);
    await admin.collection("users").create({ email: "before@example.com", password: "passpass123", passwordConfirm: "passpass123" });

    const page = await openPage(browser);
    await login(page, server.url);
    await page.goto(`${server.url}/_/#/settings/backups`);
    await page.getByRole("heading", { name: "Backups", exact: true }).waitFor();
    await page.getByText("No backups yet.").waitFor();
    await page.getByLabel("New backup name (optional)").fill("first_backup.zip");
    await page.getByRole("button", { name: "Create backup" }).click();
    await page.getByRole("cell", { name: "first_backup.zip", exact: true }).waitFor();
    const listed = await admin.backups.getFullList();
    assert.deepEqual(listed.map((b) => b.key), ["first_backup.zip"]);

    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Download first_backup.zip" }).click(),
    ]);
    assert.equal(download.suggestedFilename(), "first_backup.zip");
    const bytes = readFileSync(await download.path());
    assert.equal(bytes.subarray(0, 4).toString("latin1"), "PK\x03\x04");
    assert.equal(bytes.length, listed[0].size);

    // The downloaded zip uploads back under another name, and that copy can be deleted.
    const copyDir = mkdtempSync(join(tmpdir(), "pb-backup-copy-"));
    const copyPath = join(copyDir, "uploaded_copy.zip");
    writeFileSync(copyPath, bytes);
    await page.getByLabel("Upload a backup").setInputFiles(copyPath);
    await page.getByRole("cell", { name: "uploaded_copy.zip", exact: true }).waitFor();
    assert.deepEqual((await admin.backups.getFullList()).map((b) => b.key).sort(), ["first_backup.zip", "uploaded_copy.zip"]);
    page.once("dialog", (dialog) => dialog.accept());
    await page.getByRole("button", { name: "Delete uploaded_copy.zip" }).click();
    await page.getByRole("status").filter({ hasText: "Deleted uploaded_copy.zip." }).waitFor();
    assert.deepEqual((await admin.backups.getFullList()).map((b) => b.key), ["first_backup.zip"]);
    rmSync(copyDir, { recursive: true, force: true });

    // The automatic backup schedule.
    await page.getByLabel("Automatic backups (cron)").fill("0 3 * * *");
    await page.getByLabel("Automatic backups to keep").fill("2");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByRole("status").filter({ hasText: "Saved." }).waitFor();
    const backupSettings = (await admin.settings.getAll()).backups;
    assert.equal(backupSettings.cron, "0 3 * * *");
    assert.equal(backupSettings.cronMaxKeep, 2);

    // Made after the backup: the restore must take it away.
    await admin.collection("users").create({ email: "after@example.com", password: "passpass123", passwordConfirm: "passpass123" });

    await page.getByRole("button", { name: "Restore first_backup.zip" }).click();
    const dialog = page.getByRole("dialog", { name: "Restore first_backup.zip?" });
    await dialog.waitFor();
    const confirmButton = dialog.getByRole("button", { name: "Restore backup" });
    assert.equal(await confirmButton.isDisabled(), true);
    await dialog.getByLabel("Type the backup name to confirm").fill("first_backup.zip");
    await screenshot(page, "settings-backup-restore-confirm");
    const reloaded = page.waitForEvent("load", { timeout: 60_000 });
    await confirmButton.click();
    await page.getByText("The server is restarting with the restored data…").waitFor();
    await reloaded;
    await page.getByRole("cell", { name: "first_backup.zip", exact: true }).waitFor({ timeout: 30_000 });
    await screenshot(page, "settings-backup-restored");

    const afterRestore = await adminClient(server.url);
    const emails = (await afterRestore.collection("users").getFullList()).map((u) => u.email);
    assert.deepEqual(emails, ["before@example.com"]);
    assert.deepEqual(page.problems.filter((p) => !/Failed to load resource|ERR_CONNECTION_REFUSED/.test(p)), []);
  } finally {
    await server.stop();
  }
});

test("collections exported as JSON are imported back after a side-by-side review", async () => {
  const server = await startServer({ superuser: true });
  try {
    const admin = await adminClient(server.url);
    await admin.collections.create({ name: "notes", type: "base", fields: [{ name: "title", type: "text" }] });

    const page = await openPage(browser);
    await login(page, server.url);
    await page.goto(`${server.url}/_/#/settings/export`);
    await page.getByRole("heading", { name: "Export collections" }).waitFor();
    const exportBox = page.getByLabel("Collections JSON");
    await page.waitForFunction(() => document.querySelector("#export-json")?.value.includes('"notes"'));
    const exported = JSON.parse(await exportBox.inputValue());
    const names = exported.map((c) => c.name).sort();
    const apiNames = (await admin.collections.getFullList()).map((c) => c.name).sort();
    assert.deepEqual(names, apiNames);
    await screenshot(page, "settings-export");

    const notes = exported.find((c) => c.name === "notes");
    notes.fields.push({ name: "body", type: "editor" });
    exported.push({ name: "tags", type: "base", fields: [{ name: "label", type: "text" }] });

    await page.getByRole("link", { name: "Import collections" }).click();
    await page.getByRole("heading", { name: "Import collections" }).waitFor();
    await page.getByLabel("Collections JSON").fill(JSON.stringify(exported, null, 2));
    await page.getByRole("button", { name: "Review changes" }).click();
    await page.getByRole("heading", { name: "Changes: 1 added, 1 changed, 0 deleted" }).waitFor();
    await page.getByRole("article", { name: "added collection tags" }).waitFor();
    const changed = page.getByRole("article", { name: "changed collection notes" });
    await changed.waitFor();
    const newSide = await changed.getByLabel("New notes").textContent();
    const oldSide = await changed.getByLabel("Current notes").textContent();
    assert.match(newSide, /"name": "body"/);
    assert.doesNotMatch(oldSide, /"name": "body"/);
    assert.equal(await changed.locator(".added").filter({ hasText: '"name": "body"' }).count(), 1);
    await screenshot(page, "settings-import-review");

    await page.getByRole("button", { name: "Confirm and import" }).click();
    await page.getByRole("status").filter({ hasText: "Collections imported." }).waitFor();
    const tags = await admin.collections.getOne("tags");
    assert.deepEqual(tags.fields.filter((f) => !f.system).map((f) => [f.name, f.type]), [["label", "text"]]);
    const updated = await admin.collections.getOne("notes");
    assert.deepEqual(updated.fields.filter((f) => !f.system).map((f) => [f.name, f.type]), [["title", "text"], ["body", "editor"]]);
    // The sidebar knows the new collection too.
    await page.getByRole("navigation", { name: "Collections" }).getByRole("link", { name: "tags" }).waitFor();
    assert.deepEqual(page.problems, []);
  } finally {
    await server.stop();
  }
});

test("the smaller settings pages save what they show, and show PocketBase's field errors", async () => {
  const server = await startServer({ superuser: true });
  try {
    const admin = await adminClient(server.url);
    const page = await openPage(browser);
    page.on("dialog", (dialog) => dialog.accept());
    await login(page, server.url);

    // Application: a blank name is refused beside the input, then a new name is saved.
    await page.goto(`${server.url}/_/#/settings/application`);
    await page.getByLabel("Application name").fill("");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.locator("#app-name-error").filter({ hasText: "Cannot be blank." }).waitFor();
    assert.equal(await page.getByLabel("Application name").getAttribute("aria-invalid"), "true");
    await page.getByLabel("Application name").fill("Renamed app");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByRole("status").filter({ hasText: "Saved." }).waitFor();
    assert.equal((await admin.settings.getAll()).meta.appName, "Renamed app");

    // Rate limits: a rule with a blank label is refused in its row; a filled one is saved.
    await page.getByRole("link", { name: "Rate limits" }).click();
    await page.getByLabel("Enable rate limits").check();
    await page.getByRole("button", { name: "Add rule" }).click();
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByRole("cell").filter({ hasText: "Cannot be blank." }).waitFor();
    await page.getByLabel("Label of rule 5").fill("/api/custom");
    await page.getByLabel("Max requests of rule 5").fill("7");
    await page.getByLabel("Interval of rule 5").fill("2");
    await page.getByLabel("Audience of rule 5").selectOption("@guest");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByRole("status").filter({ hasText: "Saved." }).waitFor();
    const limits = (await admin.settings.getAll()).rateLimits;
    assert.equal(limits.enabled, true);
    assert.deepEqual(limits.rules.at(-1), { label: "/api/custom", audience: "@guest", maxRequests: 7, duration: 2 });
    assert.equal(limits.rules.length, 5);

    // Batch and trusted proxy.
    await page.getByRole("link", { name: "Batch" }).click();
    await page.getByLabel("Enable the batch API").check();
    await page.getByLabel("Max requests per batch").fill("10");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByRole("status").filter({ hasText: "Saved." }).waitFor();
    await page.getByRole("link", { name: "Trusted proxy" }).click();
    await page.getByLabel("Client IP headers (comma separated)").fill("X-Forwarded-For, X-Real-IP");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByRole("status").filter({ hasText: "Saved." }).waitFor();
    const saved = await admin.settings.getAll();
    assert.deepEqual(saved.batch, { enabled: true, maxRequests: 10, timeout: 3, maxBodySize: 0 });
    assert.deepEqual(saved.trustedProxy, { headers: ["X-Forwarded-For", "X-Real-IP"], useLeftmostIP: false });

    // File storage: S3 pointed at a closed port; the connection test reports the failure.
    await page.getByRole("link", { name: "File storage" }).click();
    await page.getByLabel("Use S3 storage").check();
    await page.getByLabel("Endpoint").fill(`http://127.0.0.1:${await freePort()}`);
    await page.getByLabel("Bucket").fill("bucket");
    await page.getByLabel("Region").fill("us-east-1");
    await page.getByLabel("Access key").fill("key");
    await page.getByLabel("Secret").fill("secret");
    assert.equal(await page.getByRole("button", { name: "Test connection" }).isDisabled(), true);
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByRole("status").filter({ hasText: "Saved." }).waitFor();
    await page.getByRole("button", { name: "Test connection" }).click();
    await page.getByRole("alert").filter({ hasText: "Failed to test the S3 filesystem." }).waitFor();
    assert.equal((await admin.settings.getAll()).s3.bucket, "bucket");
    await screenshot(page, "settings-storage-test-failed");

    // Crons: the system jobs are listed and run on demand.
    await page.getByRole("link", { name: "Crons" }).click();
    const jobs = await admin.crons.getFullList();
    assert.ok(jobs.some((job) => job.id === "__pbLogsCleanup__"));
    await page.getByRole("cell", { name: "__pbLogsCleanup__", exact: true }).waitFor();
    assert.equal(await page.locator("tbody tr").count(), jobs.length);
    await page.getByRole("button", { name: "Run __pbLogsCleanup__ now" }).click();
    await page.getByRole("status").filter({ hasText: "Started __pbLogsCleanup__." }).waitFor();

    // Superusers: add one, then delete it (never the signed-in one).
    await page.getByRole("link", { name: "Superusers" }).click();
    await page.getByLabel("Email").fill("second@example.com");
    await page.getByLabel("Password", { exact: true }).fill("passpass123");
    await page.getByLabel("Password confirm").fill("passpass123");
    await page.getByRole("button", { name: "Add superuser" }).click();
    await page.getByRole("cell", { name: "second@example.com", exact: true }).waitFor();
    assert.equal((await admin.collection("_superusers").getFullList()).length, 2);
    assert.equal(await page.getByRole("button", { name: "Delete admin@example.com" }).count(), 0);
    await screenshot(page, "settings-superusers");
    await page.getByRole("button", { name: "Delete second@example.com" }).click();
    await page.getByRole("status").filter({ hasText: "Deleted second@example.com." }).waitFor();
    const left = await admin.collection("_superusers").getFullList();
    assert.deepEqual(left.map((record) => record.email), ["admin@example.com"]);
    assert.deepEqual(page.problems.filter((p) => !/status of 400/.test(p)), []);
  } finally {
    await server.stop();
  }
});
