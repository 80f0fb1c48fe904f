// The bundle check passes clean code (including esbuild's own helpers), tells local names from
// globals, reads regex syntax correctly, and maps every hit back to the TypeScript line.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { ROOT } from "../../tools/build.ts";
import { checkBundle, formatHit, type BundleHit } from "../../tools/bundle-check.ts";
import { regexProblems } from "../../tools/bundle-regex.ts";
import { bundleFixture, FIXTURES } from "./bundle-fixture.ts";

describe("clean code passes", () => {
  test("a firmware-style TS fixture (classes, fields, ?., ??, **, object spread, require of built-ins) has no hits", async () => {
    const { code, map } = await bundleFixture(join(FIXTURES, "clean", "main.ts"));
    // esbuild really did add its helpers, and the built-ins stay literal require calls:
    expect(code).toContain("getOwnPropertySymbols");
    expect(code).toContain('require("Storage")');
    expect(checkBundle(code, { map }).map((h) => formatHit(h))).toEqual([]);
  });

  test("local variables, parameters, classes and properties named like missing globals are not hits", () => {
    const code = readFileSync(join(FIXTURES, "clean", "clean.raw.js"), "utf8");
    expect(checkBundle(code).map((h) => formatHit(h))).toEqual([]);
  });

  test("a global used only after `typeof X` proved it exists is not a hit; the same use unguarded is", () => {
    const guarded = 'typeof Map<"u"&&new Map();typeof Set!="undefined"?new Set():0;if(typeof WeakMap==="function")new WeakMap();';
    expect(checkBundle(guarded)).toEqual([]);
    const unguarded = 'typeof Map<"u"?0:new Map();if(typeof Set>"u")new Set();new Proxy({},{});';
    expect(checkBundle(unguarded).map((h) => h.rule)).toEqual(["global-Map", "global-Set", "global-Proxy"]);
  });
});

describe("hits name the source", () => {
  test("a Set in an imported TS module is reported at its bundle line:column and at lib/recipients.ts:7", async () => {
    const { code, map } = await bundleFixture(join(FIXTURES, "source-line", "main.ts"), join(ROOT, "test", ".tmp", "sl", "app.js"));
    const hits = checkBundle(code, { map, mapDir: join(ROOT, "test", ".tmp", "sl") });
    expect(hits).toHaveLength(1);
    const [h] = hits;
    expect(h.rule).toBe("global-Set");
    expect(code.split("\n")[h.line - 1].slice(h.column - 1, h.column - 1 + 3)).toBe("Set");
    expect(h.source).toMatchObject({ file: "test/fixtures/bundle/source-line/lib/recipients.ts", line: 7 });
    expect(formatHit(h, "app.js")).toMatch(
      /^app\.js:\d+:\d+ \(test\/fixtures\/bundle\/source-line\/lib\/recipients\.ts:7:\d+\): global `Set` does not exist on the board \[docs\/espruino\.md probe 121\]$/,
    );
  });

  test("calls through esbuild's __require alias are require calls only where that alias is in scope", () => {
    const helper = 'var o=(e=>typeof require!="undefined"?require:e)(0);';
    expect(checkBundle(`${helper}o("net");function f(o){return o("fs")}`)).toEqual([]);
    expect(checkBundle(`${helper}function f(){return o("fs")}`).map((h) => h.message)).toEqual([
      expect.stringContaining('require("fs") is not an Espruino built-in'),
    ]);
  });

  test("a call before its function declaration names the original function and line, not the minified ones", async () => {
    const { code, map } = await bundleFixture(join(FIXTURES, "rules", "hoisting.js"));
    expect(code).not.toContain("greet");
    const hits = checkBundle(code, { map, mapDir: join(ROOT, "test", ".tmp") });
    expect(hits.map((h) => [h.message.slice(0, 9), h.source?.file, h.source?.line])).toEqual([
      ["`greet()`", "test/fixtures/bundle/rules/hoisting.js", 2],
    ]);
  });

  test("a bundle that does not parse is one hit, not a crash", () => {
    expect(checkBundle("var = 1;").map((h) => h.rule)).toEqual(["parse"]);
  });
});

describe("regex syntax is read, not grepped", () => {
  const rules = (re: RegExp) => regexProblems(re.source, re.flags).map((p) => p.rule);

  test.each([
    [/[?]\?/, []],
    [/[\]?*]+/, []],
    [/a{/, []],
    [/[{2}]/, []],
    [/[(?:]/, []],
    [/\bx/.source.replace("\\b", "[\\b]"), []],
    [/^(\d\d\d)([ -])(.*)$/, []],
    [/[^\x20-\x7e]/g, []],
    [/\r\n|\n/i, []],
    [/\(?:/, ["regex-optional"]],
    [/(a)?/, ["regex-optional", "regex-quantified-group"]],
    [/a+?/, ["regex-lazy"]],
    [/a??/, ["regex-optional", "regex-lazy"]],
    [/x{2,}?/, ["regex-count", "regex-lazy"]],
    [/(ab){2}/, ["regex-count", "regex-quantified-group"]],
    [/(?!x)/, ["regex-lookahead"]],
    [/(?<!x)/, ["regex-lookbehind"]],
    [/[\u0041]/, ["regex-unicode-escape"]],
    [/\Bx/, ["regex-word-boundary"]],
    [/(a)(b)\2/, ["regex-backreference"]],
    [/^a$/gmi, ["regex-flag-m"]],
  ] as [RegExp | string, string[]][])("%s -> %j", (re, expected) => {
    expect(typeof re === "string" ? regexProblems(re, "").map((p) => p.rule) : rules(re)).toEqual(expected);
  });

  test("esbuild's `new RegExp(\"…\")` form of a too-new regex literal is checked like a literal", async () => {
    expect(checkBundle('new RegExp("(?<=a)b","g");RegExp("a{2}");').map((h) => h.rule)).toEqual(["regex-lookbehind", "regex-count"]);
    const { code } = await bundleFixture(join(FIXTURES, "rules", "regex-lookbehind.js"));
    expect(code).toContain("RegExp(");
  });
});

describe("the escape hatch for what the check cannot tell apart", () => {
  test("a `bundle-check-ok: <rule>` comment on the line or the line above allows exactly that rule there", async () => {
    const { code, map } = await bundleFixture(join(FIXTURES, "allowed", "main.ts"));
    const allowed: BundleHit[] = [];
    const hits = checkBundle(code, { map, allowed });
    const where = (list: BundleHit[]) => list.map((h) => `${h.rule}@${h.source?.line}`);
    expect(where(allowed)).toEqual(["needle-indexOf@5", "needle-indexOf@6"]);
    expect(where(hits)).toEqual(["needle-indexOf@7", "needle-indexOf@9"]);
    expect(hits[0].message).toContain("`// bundle-check-ok: needle-indexOf`");
  });

  test("lastIndexOf with a string argument is String's (works, row 256); with anything else it is reported (row 239)", () => {
    expect(checkBundle('s.lastIndexOf("\\n");s.lastIndexOf(`x`)')).toEqual([]);
    expect(checkBundle("a.lastIndexOf(1);a.lastIndexOf(x)").map((h) => h.rule)).toEqual(["method-lastIndexOf", "method-lastIndexOf"]);
  });
});
