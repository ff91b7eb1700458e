// Dashboard sign-in beyond the password: a one-time code read from the real mail (the server
// sends it to a local SMTP receiver), MFA (password, then a code, with the server's mfaId),
// and "forgot password" through the mailed reset link. Each test checks the page and what the
// API then holds, and saves a screenshot.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import PocketBase from "pocketbase";
import { startServer, SUPERUSER } from "../lib/server.js";
import { launchBrowser, openPage, screenshot } from "../lib/browser.js";
import { adminClient } from "../lib/ui.js";
import { startSmtpReceiver } from "../lib/smtp_receiver.js";

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** A server whose mail goes to a fresh receiver, with OTP (and MFA when asked) on _superusers. */
async function serverWithMail({ otp = false, mfa = false } = {}) {
  const server = await startServer({ superuser: true });
  const receiver = await startSmtpReceiver();
  const admin = await adminClient(server.url);
  await admin.settings.update({ smtp: { enabled: true, host: "127.0.0.1", port: receiver.port, tls: false } });
  if (otp || mfa) {
    await admin.collections.update("_superusers", {
      otp: { enabled: otp, emailTemplate: { subject: "Your code", body: "<p>otp:{OTP} id:{OTP_ID}</p>" } },
      mfa: { enabled: mfa },
    });
  }
  return { server, receiver, admin };
}

/** The session the dashboard stored, checked against the API: whose token it is. */
async function storedSessionEmail(page, url) {
  const stored = await page.evaluate(() => JSON.parse(localStorage.getItem("pb_superuser_auth") || "{}"));
  assert.ok(stored.token, "no stored token");
  const client = new PocketBase(url);
  client.authStore.save(stored.token, null);
  const refreshed = await client.collection("_superusers").authRefresh();
  return refreshed.record.email;
}

function code(mail) {
  const match = mail.text.match(/otp:(\d+)/);
  assert.ok(match, mail.text);
  return match[1];
}

test("login with a one-time code read from the mail", async () => {
  const { server, receiver } = await serverWithMail({ otp: true });
  try {
    const page = await openPage(browser);
    await page.goto(`${server.url}/_/`);
    await page.getByRole("button", { name: "One-time code" }).click();
    await page.getByLabel("Email").fill(SUPERUSER.email);
    await page.getByRole("button", { name: "Send code" }).click();
    const mail = await receiver.next((m) => m.recipients.includes(SUPERUSER.email));
    await page.getByLabel("One-time code").fill("00000000");
    await page.getByRole("button", { name: "Login" }).click();
    await page.getByRole("alert").waitFor();
    await page.getByLabel("One-time code").fill(code(mail));
    await screenshot(page, "login-otp");
    await page.getByRole("button", { name: "Login" }).click();
    await page.getByRole("button", { name: "Logout" }).waitFor();
    assert.equal(await storedSessionEmail(page, server.url), SUPERUSER.email);
    await screenshot(page, "login-otp-done");
    assert.deepEqual(page.problems.filter((text) => !text.includes("400")), []);
  } finally {
    await receiver.close();
    await server.stop();
  }
});

test("MFA: the password step asks for a mailed code, which completes the login", async () => {
  const { server, receiver } = await serverWithMail({ otp: true, mfa: true });
  try {
    const page = await openPage(browser);
    await page.goto(`${server.url}/_/`);
    await page.getByLabel("Email").fill(SUPERUSER.email);
    await page.getByLabel("Password", { exact: true }).fill(SUPERUSER.password);
    await page.getByRole("button", { name: "Login" }).click();
    await page.getByText("needs a second factor").waitFor();
    await page.getByRole("button", { name: "Send code" }).click();
    const mail = await receiver.next((m) => m.recipients.includes(SUPERUSER.email));
    await page.getByLabel("One-time code").fill(code(mail));
    await screenshot(page, "login-mfa");
    await page.getByRole("button", { name: "Login" }).click();
    await page.getByRole("button", { name: "Logout" }).waitFor();
    assert.equal(await storedSessionEmail(page, server.url), SUPERUSER.email);
    // The MFA session was used up: a password alone still needs a second factor.
    const guest = new PocketBase(server.url);
    await assert.rejects(guest.collection("_superusers").authWithPassword(SUPERUSER.email, SUPERUSER.password), (error) => {
      assert.equal(error.status, 401);
      assert.equal(typeof error.response.mfaId, "string");
      return true;
    });
    assert.deepEqual(page.problems.filter((text) => !text.includes("401")), []);
  } finally {
    await receiver.close();
    await server.stop();
  }
});

test("forgot password: the mailed link sets a new password", async () => {
  const { server, receiver } = await serverWithMail();
  try {
    const page = await openPage(browser);
    await page.goto(`${server.url}/_/`);
    await page.getByRole("button", { name: "Forgot password?" }).click();
    await page.getByLabel("Email").fill(SUPERUSER.email);
    await page.getByRole("button", { name: "Send reset link" }).click();
    await page.getByRole("status").filter({ hasText: "password reset link was sent" }).waitFor();
    const mail = await receiver.next((m) => m.recipients.includes(SUPERUSER.email));
    const link = mail.text.match(/#\/auth\/confirm-password-reset\/([\w.-]+)/);
    assert.ok(link, mail.text);
    await page.goto(`${server.url}/_/#/auth/confirm-password-reset/${link[1]}`);
    await page.getByLabel("New password", { exact: true }).fill("brand-new-pass1");
    await page.getByLabel("New password confirm").fill("brand-new-pass1");
    await page.getByRole("button", { name: "Confirm" }).click();
    await page.getByText("Your password was changed.").waitFor();
    await screenshot(page, "login-password-reset");
    const guest = new PocketBase(server.url);
    const auth = await guest.collection("_superusers").authWithPassword(SUPERUSER.email, "brand-new-pass1");
    assert.equal(auth.record.email, SUPERUSER.email);
    await assert.rejects(new PocketBase(server.url).collection("_superusers").authWithPassword(SUPERUSER.email, SUPERUSER.password));
  } finally {
    await receiver.close();
    await server.stop();
  }
});
