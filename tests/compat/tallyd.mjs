// Starts a tallyd dev node on a free port for a test file and stops it by
// PID afterwards. TALLYD names the binary (set by ctest).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const DEV_KEYS = [
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
];
export const MINER = "0x00000000000000000000000000000000000000aa";

export async function startNode({ mine = true } = {}) {
  const binary = process.env.TALLYD;
  if (!binary) throw new Error("set TALLYD to the tallyd binary");
  const datadir = mkdtempSync(join(tmpdir(), "tally-compat-"));
  const args = ["--datadir", datadir, "--rpc-port", "0", "--no-p2p", "--log-level", "info"];
  if (mine) args.push("--mine", "--miner-address", MINER, "--miner-threads", "1");
  const child = spawn(binary, args, { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("tallyd did not start within 30 s:\n" + log)), 30_000);
    child.stderr.on("data", (chunk) => {
      log += chunk;
      const match = /JSON-RPC on http:\/\/127\.0\.0\.1:(\d+)/.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`tallyd exited with ${code}:\n${log}`));
    });
  });
  child.stderr.resume();
  return {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.on("exit", resolve));
        process.kill(child.pid, "SIGTERM");
        const timer = setTimeout(() => process.kill(child.pid, "SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(datadir, { recursive: true, force: true });
    },
  };
}
