// Starts the built `pb` (target/release/pb) on a free loopback port with a temporary data dir,
// waits until /api/health answers, and stops it again by its PID.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(here, "../../..");
export const PB_BIN = process.env.PB_BIN || join(ROOT, "target/release/pb");

export const SUPERUSER = { email: "admin@example.com", password: "passpass123" };

/** A port the OS says is free on 127.0.0.1. */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Starts `pb serve`. Options: `superuser` (create it with `pb superuser upsert` first),
 * `publicDir` (passed as --publicDir). Returns { url, dataDir, output(), stop() }.
 */
export async function startServer({ superuser = false, publicDir = null } = {}) {
  const base = mkdtempSync(join(tmpdir(), "pb-browser-"));
  const dataDir = join(base, "pb_data");
  if (superuser) {
    execFileSync(PB_BIN, ["superuser", "upsert", SUPERUSER.email, SUPERUSER.password, "--dir", dataDir], {
      stdio: "ignore",
    });
  }
  const port = await freePort();
  const args = ["serve", "--http", `127.0.0.1:${port}`, "--dir", dataDir];
  if (publicDir) args.push("--publicDir", publicDir);
  const child = spawn(PB_BIN, args, { cwd: base, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`pb exited early:\n${output}`);
    try {
      if ((await fetch(`${url}/api/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      process.kill(child.pid, "SIGKILL");
      throw new Error(`pb did not start in time:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    dataDir,
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        process.kill(child.pid, "SIGTERM");
        await exited;
      }
      rmSync(base, { recursive: true, force: true });
    },
  };
}
