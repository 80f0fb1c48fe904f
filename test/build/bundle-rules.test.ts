// One fixture per bundle-check rule proves the rule fires, and fires alone.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { checkBundle, RULE_IDS } from "../../tools/bundle-check.ts";
import { bundleFixture, FIXTURES } from "./bundle-fixture.ts";

const RULES_DIR = join(FIXTURES, "rules");
const files = readdirSync(RULES_DIR).filter((f) => f.endsWith(".js")).sort();
const ruleOf = (file: string) => file.replace(/\.raw\.js$|\.js$/, "").split("--")[0];

describe("every rule has a failing fixture", () => {
  test("each rule the check knows has at least one fixture, and each fixture names a known rule", () => {
    const covered = new Set(files.map(ruleOf));
    expect(RULE_IDS.filter((r) => !covered.has(r))).toEqual([]);
    expect([...covered].filter((r) => !RULE_IDS.includes(r))).toEqual([]);
  });

  test.each(files)("%s trips its rule and nothing else", async (file) => {
    const path = join(RULES_DIR, file);
    const code = file.endsWith(".raw.js") ? readFileSync(path, "utf8") : (await bundleFixture(path)).code;
    const hits = checkBundle(code);
    expect(hits.length).toBeGreaterThan(0);
    expect([...new Set(hits.map((h) => h.rule))]).toEqual([ruleOf(file)]);
    for (const h of hits) expect(h.rows).toMatch(/^probes? \d{3}|^no probe/);
  });
});
