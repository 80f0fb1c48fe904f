// A fresh clone installs quietly and has a script for every command the README names: every dependency
// with an install script is reviewed in package.json's allowScripts (npm 11), the `espruino` package
// (Bluetooth and USB native modules) is gone, and `npm run check` runs the board.json checker.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { ROOT } from "../../tools/build.ts";

const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  scripts: Record<string, string>;
  devDependencies: Record<string, string>;
  dependencies?: Record<string, string>;
  allowScripts?: Record<string, boolean>;
};
const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
  packages: Record<string, { hasInstallScript?: boolean; name?: string }>;
};

describe("npm install", () => {
  test("every locked package with an install script has an allowScripts decision, so npm prints no warning", () => {
    const withScripts = Object.entries(lock.packages)
      .filter(([path, p]) => path && p.hasInstallScript)
      .map(([path]) => path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length));
    expect(withScripts.length).toBeGreaterThan(0);
    const reviewed = Object.keys(pkg.allowScripts ?? {}).map((k) => k.replace(/(.)@[^@/]*$/, "$1"));
    expect(withScripts.filter((name) => !reviewed.includes(name))).toEqual([]);
  });

  test("esbuild's postinstall may run; serialport's native build is not needed (it ships prebuilt binaries)", () => {
    expect(pkg.allowScripts?.esbuild).toBe(true);
    expect(pkg.allowScripts?.["@serialport/bindings-cpp"]).toBe(false);
  });

  test("the espruino package is not a dependency: npm run flash and npm run log talk to the board", () => {
    expect({ ...pkg.dependencies, ...pkg.devDependencies }).not.toHaveProperty("espruino");
    expect(Object.keys(lock.packages).filter((p) => /node_modules\/(espruino|@abandonware\/noble|usb)$/.test(p))).toEqual([]);
  });
});

describe("scripts the README names", () => {
  test("every `npm run X` in README.md and docs/ is a script of package.json", () => {
    const text = ["README.md", "docs/flashing.md"].map((f) => readFileSync(join(ROOT, f), "utf8")).join("\n");
    const named = new Set([...text.matchAll(/npm run ([a-z][a-z-]*)/g)].map((m) => m[1]));
    expect(named.size).toBeGreaterThan(2);
    expect([...named].filter((s) => !(s in pkg.scripts))).toEqual([]);
    expect(text).not.toMatch(/(^|[^-])tsx tools\//m);
  });

  test("`npm run check -- FILE` checks a board.json: 0 and OK for a good one, 1 with the errors for a bad one", () => {
    const run = (file: string) => spawnSync("npm", ["run", "--silent", "check", "--", file], { cwd: ROOT, encoding: "utf8" });
    const good = run("test/fixtures/boards/valid-small.json");
    expect(good.status).toBe(0);
    expect(good.stdout).toMatch(/valid-small\.json: OK/);
    const bad = run("test/fixtures/boards/invalid-port-587.json");
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/smtp\.port: found 587/);
  });

  test("the README says which tool watches the board's console: npm run log", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    expect(readme).toMatch(/npm run log -- --port/);
  });
});
