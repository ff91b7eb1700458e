// The one API client of the dashboard: the official PocketBase SDK pointed at the server that
// serves the dashboard ("../" from /_/), with the superuser's session kept in localStorage.
import PocketBase, { LocalAuthStore } from "pocketbase";

export const SUPERUSERS = "_superusers";

export const pb = new PocketBase("../", new LocalAuthStore("pb_superuser_auth"));
pb.autoCancellation(false);

/** Whether the stored session is a live superuser session. */
export function hasSuperuserSession() {
  return pb.authStore.isValid && pb.authStore.record?.collectionName === SUPERUSERS;
}

/** The message of an SDK error, for an alert. */
export function errorMessage(error) {
  return error?.response?.message || error?.message || String(error);
}

/** The per-field messages of an SDK validation error: { field: message }. */
export function fieldErrors(error) {
  const data = error?.response?.data || {};
  const out = {};
  for (const [name, value] of Object.entries(data)) {
    if (value && typeof value === "object" && "message" in value) out[name] = value.message;
  }
  return out;
}
