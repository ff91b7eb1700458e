// Steps the dashboard tests share.
import PocketBase from "pocketbase";
import { SUPERUSER } from "./server.js";

/** Signs in through the dashboard's login form and waits for the signed-in layout. */
export async function login(page, url) {
  await page.goto(`${url}/_/`);
  await page.getByLabel("Email").fill(SUPERUSER.email);
  await page.getByLabel("Password").fill(SUPERUSER.password);
  await page.getByRole("button", { name: "Login" }).click();
  // "attached": on a phone-sized viewport the button sits behind the "Menu" button.
  await page.getByRole("button", { name: "Logout", includeHidden: true }).waitFor({ state: "attached" });
}

/** An SDK client signed in as the test superuser, to check what the API holds. */
export async function adminClient(url) {
  const client = new PocketBase(url);
  await client.collection("_superusers").authWithPassword(SUPERUSER.email, SUPERUSER.password);
  return client;
}

/** The texts of one column (by header name) of the records table, top to bottom. */
export async function columnTexts(page, name) {
  const headers = (await page.locator("thead th").allTextContents()).map((text) => text.replace(/[▲▼]/g, "").trim());
  const index = headers.indexOf(name);
  if (index < 0) throw new Error(`no column ${name} in ${headers.join(", ")}`);
  return page.locator(`tbody tr td:nth-child(${index + 1})`).allTextContents();
}
