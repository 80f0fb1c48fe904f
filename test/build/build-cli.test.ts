// `npm run build` as a user runs it: board.json is validated first, a bad one exits non-zero and leaves the
// output folder untouched, and secrets given as ${…} placeholders never reach any file the build writes.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { ROOT } from "../../tools/build.ts";
import { FIXTURES } from "./bundle-fixture.ts";

const TSX = join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");

const tmpDirs: string[] = [];
/** A fresh folder under the system temp dir, removed after the tests. */
function tmpFolder(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tmpDirs.push(dir);
  return dir;
}
afterAll(() => tmpDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Runs `tsx tools/build.ts …args` from the repo root; resolves with the exit code and output. */
function runBuild(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [TSX, "tools/build.ts", ...args], { cwd: ROOT, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", fail);
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

/** name -> [mtimeMs, content] of every file in `dir`. */
function snapshot(dir: string): Record<string, [number, string]> {
  const out: Record<string, [number, string]> = {};
  for (const f of readdirSync(dir)) out[f] = [statSync(join(dir, f)).mtimeMs, readFileSync(join(dir, f), "latin1")];
  return out;
}

/** An output folder holding a previous build's files. */
function previousBuild(): string {
  const dir = join(tmpFolder("alertmail-cli-"), "firmware");
  mkdirSync(dir);
  writeFileSync(join(dir, "app.js"), '"use strict";(()=>{console.log("previous build")})();');
  writeFileSync(join(dir, "size.json"), '{"bytes": 54}\n');
  return dir;
}

const WIFI_PASSWORD = "wifi-Zq81-distinctive-7731";
const SMTP_PASSWORD = "smtp-Xk42-distinctive-9902";

describe("npm run build validates board.json first", () => {
  test("a board.json missing smtp.host exits non-zero, names the key, and leaves the output folder untouched", async () => {
    const outdir = previousBuild();
    const before = snapshot(outdir);
    const r = await runBuild(["--board", join(FIXTURES, "board-missing-host.json"), "--outdir", outdir]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("smtp.host");
    expect(r.stderr).toMatch(/build failed: 1 problem\(s\); nothing was written/);
    expect(snapshot(outdir)).toEqual(before);
  });

  test("the same board with smtp.host present builds (so the failure above is the missing key)", async () => {
    const outdir = previousBuild();
    const r = await runBuild(["--board", join(FIXTURES, "board-secrets.json"), "--outdir", outdir], {
      ...process.env,
      ALERTMAIL_TEST_WIFI_PASSWORD: WIFI_PASSWORD,
      ALERTMAIL_TEST_SMTP_PASSWORD: SMTP_PASSWORD,
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/app\.js: \d+ bytes .* budget\)\n\s+≈ \d+ variables run from RAM, ≈ \d+ run from Storage/);
    expect(r.stdout).toMatch(/src\/smtp\s+\d+ bytes/);
    expect(readFileSync(join(outdir, "app.js"), "latin1")).not.toContain("previous build");
  });
});

describe("secrets never reach the build output", () => {
  test("with both passwords given as ${…} from the environment, no file under the output folder contains them", async () => {
    const outdir = join(tmpFolder("alertmail-secrets-"), "firmware");
    const r = await runBuild(["--board", join(FIXTURES, "board-secrets.json"), "--outdir", outdir], {
      ...process.env,
      ALERTMAIL_TEST_WIFI_PASSWORD: WIFI_PASSWORD,
      ALERTMAIL_TEST_SMTP_PASSWORD: SMTP_PASSWORD,
    });
    expect(r.code).toBe(0);
    const files = readdirSync(outdir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    expect(files.map((e) => e.name).sort()).toEqual(["app.js", "app.js.map", "meta.json", "size.json"]);
    for (const e of files) {
      const bytes = readFileSync(join(e.parentPath, e.name));
      for (const secret of [WIFI_PASSWORD, SMTP_PASSWORD]) {
        for (const form of [secret, Buffer.from(secret).toString("base64").slice(0, 16)]) {
          expect(bytes.includes(form), `${e.name} contains ${form}`).toBe(false);
        }
      }
    }
    expect(r.stdout + r.stderr).not.toContain(WIFI_PASSWORD);
    expect(r.stdout + r.stderr).not.toContain(SMTP_PASSWORD);
  });

  test("the placeholders are really resolved from the environment: without it the build fails and names the variables", async () => {
    const outdir = previousBuild();
    const before = snapshot(outdir);
    const env = { ...process.env };
    delete env.ALERTMAIL_TEST_WIFI_PASSWORD;
    delete env.ALERTMAIL_TEST_SMTP_PASSWORD;
    const r = await runBuild(["--board", join(FIXTURES, "board-secrets.json"), "--outdir", outdir], env);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("ALERTMAIL_TEST_WIFI_PASSWORD");
    expect(r.stderr).toContain("ALERTMAIL_TEST_SMTP_PASSWORD");
    expect(snapshot(outdir)).toEqual(before);
  });
});
