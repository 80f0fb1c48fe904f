// The real firmware builds within budget and passes the bundle check; esbuild's `supported` flags turn
// what the board cannot run into build errors with file and line; a failed build writes nothing.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { FIRMWARE_BUDGET_BYTES } from "../../tools/budget.ts";
import { buildFirmware, ROOT } from "../../tools/build.ts";
import { checkBundleFile, formatHit } from "../../tools/bundle-check.ts";
import { FIXTURES } from "./bundle-fixture.ts";

const tmpDirs: string[] = [];
const tmpOut = () => {
  const dir = mkdtempSync(join(tmpdir(), "alertmail-build-"));
  tmpDirs.push(dir);
  return join(dir, "out");
};
afterAll(() => tmpDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("the real firmware", () => {
  test("builds within the budget, passes the bundle check, and writes app.js, its map and size.json", async () => {
    const outdir = tmpOut();
    const r = await buildFirmware({ board: false, outdir });
    expect(r.errors).toEqual([]);
    expect(r.ok).toBe(true);
    expect(readdirSync(outdir).sort()).toEqual(["app.js", "app.js.map", "meta.json", "size.json"]);
    const js = readFileSync(join(outdir, "app.js"), "latin1");
    expect(js.startsWith('"use strict";(()=>{')).toBe(true);
    expect(checkBundleFile(join(outdir, "app.js")).map((h) => formatHit(h))).toEqual([]);

    const size = JSON.parse(readFileSync(join(outdir, "size.json"), "utf8"));
    expect(size.bytes).toBe(readFileSync(join(outdir, "app.js")).length);
    expect(size.bytes).toBeLessThanOrEqual(FIRMWARE_BUDGET_BYTES);
    expect(size.budgetBytes).toBe(FIRMWARE_BUDGET_BYTES);
    expect(size.variablesFromRam).toBe(Math.round((size.bytes / 1024) * 119));
    expect(size.variablesFromStorage).toBe(Math.round((size.bytes / 1024) * 57));
    const parts = Object.keys(size.shares);
    expect(parts).toEqual(["src/mime", "src/smtp", "src/rules", "src/outbox", "src/platform", "other", "wrapper"]);
    expect(Object.values(size.shares as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(size.bytes);
  });

  test("the bundle the global setup wrote to firmware/ passes the check too", () => {
    const appJs = join(ROOT, "firmware", "app.js");
    expect(existsSync(appJs)).toBe(true);
    expect(checkBundleFile(appJs).map((h) => formatHit(h))).toEqual([]);
  });
});

describe("a failed build writes nothing", () => {
  test("over the budget: fails with the size, the budget and where the budget lives, and writes nothing", async () => {
    const outdir = tmpOut();
    const r = await buildFirmware({ board: false, outdir, budgetBytes: 20 });
    expect(r.ok).toBe(false);
    expect(r.stage).toBe("check");
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/app\.js is \d+ bytes, over the budget of 20 bytes by \d+ \(the budget is kept in tools\/budget\.ts\)/);
    expect(existsSync(outdir)).toBe(false);
  });

  test("a bundle-check hit fails the build with the source line and writes nothing", async () => {
    const outdir = tmpOut();
    const r = await buildFirmware({ board: false, outdir, entry: join(FIXTURES, "source-line", "main.ts") });
    expect(r.ok).toBe(false);
    expect(r.stage).toBe("check");
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toContain("(test/fixtures/bundle/source-line/lib/recipients.ts:7:");
    expect(existsSync(outdir)).toBe(false);
  });
});

describe("esbuild refuses what it cannot lower for the board", () => {
  test("an entry with exports is refused (esbuild's export helpers are broken on the board, trap 8)", async () => {
    const outdir = tmpOut();
    const r = await buildFirmware({ board: false, outdir, entry: join(FIXTURES, "exports", "main.ts") });
    expect(r.stage).toBe("check");
    expect(r.hits.map((h) => h.rule)).toContain("entry-exports");
    expect(r.errors.join("\n")).toMatch(/\(test\/fixtures\/bundle\/exports\/main\.ts:\d+:\d+\): the bundle assigns module\.exports: the firmware entry must not export anything/);
    expect(existsSync(outdir)).toBe(false);
  });

  test.each([
    ["destructuring.ts", "destructuring"],
    ["default-param.ts", "default arguments"],
    ["rest-param.ts", "rest arguments"],
    ["spread.ts", "array spread"],
    ["spread-call.ts", "rest arguments"],
    ["async.ts", "async functions"],
    ["generator.ts", "generator functions"],
    ["require-unknown.ts", 'Could not resolve "fs"'],
  ])("%s is a build error naming the file and line 3 (%s)", async (file, what) => {
    const outdir = tmpOut();
    const r = await buildFirmware({ board: false, outdir, entry: join(FIXTURES, "unsupported", file) });
    expect(r.ok).toBe(false);
    expect(r.stage).toBe("bundle");
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(new RegExp(`^test/fixtures/bundle/unsupported/${file.replace(".", "\\.")}:3:\\d+: `));
    expect(r.errors[0]).toContain(what);
    expect(existsSync(outdir)).toBe(false);
  });
});

describe("secrets stay out of the code", () => {
  test("a bundle containing board.json's WiFi password fails the build without printing it, and writes nothing", async () => {
    const outdir = tmpOut();
    const secret = "wifi-Zq81-leaky-5150";
    const r = await buildFirmware({
      board: join(FIXTURES, "board-secrets.json"),
      env: { ALERTMAIL_TEST_WIFI_PASSWORD: secret, ALERTMAIL_TEST_SMTP_PASSWORD: "smtp-not-in-the-code" },
      entry: join(FIXTURES, "leaky", "main.ts"),
      outdir,
    });
    expect(r.ok).toBe(false);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/contains the value of wifi\.password from board\.json/);
    expect(r.errors.join("\n")).not.toContain(secret);
    expect(existsSync(outdir)).toBe(false);
  });
});
