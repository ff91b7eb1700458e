// Waiting for the server to come back after a backup restore, which restarts it in place:
// give the old process a moment to go down, then poll /api/health until it answers again.
import { pb } from "./pb.js";

const HEALTH_POLL_MS = 500;
const RESTART_DEADLINE_MS = 120_000;

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves true once /api/health answers 200 again, false after two minutes. */
export async function waitForServer() {
  const deadline = Date.now() + RESTART_DEADLINE_MS;
  await pause(HEALTH_POLL_MS);
  while (Date.now() < deadline) {
    try {
      const response = await fetch(pb.buildURL("/api/health"), { cache: "no-store" });
      if (response.ok) return true;
    } catch {
      // still restarting
    }
    await pause(HEALTH_POLL_MS);
  }
  return false;
}
