// Runs `tools/config/check.ts` as a child process, the way users and CI run it.
import { spawn } from "node:child_process";
import { build } from "esbuild";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(fileURLToPath(import.meta.url), "..", "..", "..");
export const FIXTURES = join(ROOT, "test", "fixtures", "boards");

/** `node --import tsx tools/config/check.ts …`, exactly as documented. */
export function runCheck(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string }> {
  return run(["--import", "tsx", join(ROOT, "tools", "config", "check.ts"), ...args], env);
}

/**
 * The same CLI bundled once by esbuild into `dir` (same source, no tsx start-up per run), for running it
 * against many fixtures on a shared machine. Returns a runner like runCheck.
 */
export async function bundledCheck(dir: string) {
  const outfile = join(dir, "check.mjs");
  await build({
    entryPoints: [join(ROOT, "tools", "config", "check.ts")],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    logLevel: "silent",
  });
  return (args: string[], env: NodeJS.ProcessEnv = {}) => run([outfile, ...args], env);
}

function run(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, {
      cwd: ROOT,
      env: { PATH: process.env.PATH, ...env },
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, out }));
  });
}
