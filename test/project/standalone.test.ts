// The project stands alone (issue 14 item 5): no tracked file points outside the repository for facts
// about the board, and every probe, section and trap the code cites exists in docs/espruino.md.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { ROOT } from "../../tools/build.ts";
import { MISSING_GLOBALS, MISSING_METHODS, MISSING_STATICS, PREFIX_TRAP_METHODS } from "../../tools/bundle-tables.ts";

const DOC = readFileSync(join(ROOT, "docs", "espruino.md"), "utf8");
/** The repository's files: git's list, or (a download without .git) every file but the ignored folders. */
function repoFiles(): string[] {
  try {
    return execFileSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).split("\0").filter(Boolean);
  } catch {
    const skip = /^(node_modules|\.git|\.espruino|sim-runs|firmware|test\/\.tmp|host-sim\/\.state)(\/|$)/;
    const out: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
        const rel = dir ? `${dir}/${e.name}` : e.name;
        if (skip.test(rel)) continue;
        if (e.isDirectory()) walk(rel);
        else out.push(rel);
      }
    };
    walk("");
    return out;
  }
}
const tracked = repoFiles();

/** Probe id -> result (PASS/FAIL/ERROR) from the doc's §7 table. */
const PROBES = new Map([...DOC.matchAll(/^\| (\d{3}) \| .* \| (PASS|FAIL|ERROR) \|/gm)].map((m) => [m[1], m[2]]));

/** "probes 117-120, 372" -> ["117", "118", "119", "120", "372"] */
function ids(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(\d{3})(?:\s*[-–]\s*(\d{3}))?/g)) {
    const a = Number(m[1]);
    const b = m[2] ? Number(m[2]) : a;
    for (let i = a; i <= b; i++) out.push(String(i).padStart(3, "0"));
  }
  return out;
}

describe("nothing points outside the repository", () => {
  test("no tracked file cites the folder beside the clone or its Espruino notes", () => {
    // Built from pieces so that this file does not match itself.
    const outside = new RegExp(["\\.\\./" + "shared", "\\bshared/" + "[a-z-]+\\.(md|txt)", "shared/" + "espruino", "espruino-" + "features\\.txt"].join("|"));
    const hits: string[] = [];
    for (const f of tracked) {
      let text: string;
      try {
        text = readFileSync(join(ROOT, f), "utf8");
      } catch {
        continue; // deleted in the working tree
      }
      text.split("\n").forEach((line, i) => {
        if (outside.test(line)) hits.push(`${f}:${i + 1}: ${line.trim().slice(0, 120)}`);
      });
    }
    expect(hits).toEqual([]);
  });
});

describe("docs/espruino.md, the project's own reference", () => {
  test("has every probe (000-482), sections §1-§7 and traps 1-12", () => {
    expect(PROBES.size).toBe(483);
    for (let s = 1; s <= 7; s++) expect(DOC, `§${s}`).toMatch(new RegExp(`^## §${s}\\. `, "m"));
    for (let t = 1; t <= 12; t++) expect(DOC, `trap ${t}`).toMatch(new RegExp(`^${t}\\. \\*\\*`, "m"));
  });

  test("every probe the bundle check's tables cite exists and shows the board failing", () => {
    const tables = { ...MISSING_GLOBALS, ...MISSING_STATICS, ...MISSING_METHODS };
    for (const [name, cite] of Object.entries(tables)) {
      if (cite.startsWith("no probe")) continue;
      expect(cite, name).toMatch(/^probes? \d{3}/);
      // The first probes named are the failing ones ("probe 239 (Array's; String's works, probe 256)").
      const first = ids(cite.split("(")[0]);
      expect(first.length, name).toBeGreaterThan(0);
      for (const id of first) expect(PROBES.get(id), `${name}: probe ${id}`).toMatch(/FAIL|ERROR/);
    }
    for (const [name, cite] of Object.entries(PREFIX_TRAP_METHODS)) for (const id of ids(cite)) expect(PROBES.has(id), `${name}: ${id}`).toBe(true);
  });

  test("every probe, section and trap cited anywhere in the code names something the doc has", () => {
    const problems: string[] = [];
    for (const f of tracked.filter((f) => /\.(ts|js|md)$/.test(f) && f !== "docs/espruino.md")) {
      let text: string;
      try {
        text = readFileSync(join(ROOT, f), "utf8");
      } catch {
        continue;
      }
      for (const m of text.matchAll(/docs\/espruino\.md (probes? [\d, –-]+|§(\d+)|trap (\d+))/g)) {
        if (m[2] && !new RegExp(`^## §${m[2]}\\. `, "m").test(DOC)) problems.push(`${f}: §${m[2]}`);
        if (m[3] && !new RegExp(`^${m[3]}\\. \\*\\*`, "m").test(DOC)) problems.push(`${f}: trap ${m[3]}`);
        if (m[1].startsWith("probe")) for (const id of ids(m[1])) if (!PROBES.has(id)) problems.push(`${f}: probe ${id}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
