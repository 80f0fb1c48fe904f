// The README's bench summary: generated from a run's data with the same verdicts as RESULTS.md, and
// written only between the bench markers, every other byte of README.md kept.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { README_END, README_START, renderReadmeSummary, replaceReadmeBlock, type LatencyRow, type Results, type Side } from "../../bench/report.ts";
import { side, t } from "./trials.ts";

const row = (server: string, offers: string, delayMs: number, am: Side, nm: Side): LatencyRow => ({ server, offers, delayMs, alertmail: am, nodemailer: nm });

const sample: Results = {
  info: { date: "2026-11-30T01:00:00.000Z", durationS: 150, versions: { alertmail: "0.1.0 (abc1234)", nodemailer: "10.6.1" }, machine: {}, trialsPerCell: 3, unavailable: [] },
  cold: [
    row("smtp-server sink", "PIPELINING", 0, side([t(120, 4)]), side([t(110, 4)])),
    row("smtp-server sink", "PIPELINING", 50, side([t(730, 4), t(740, 4), t(735, 4)]), side([t(720, 4), t(725, 4), t(722, 4)])),
    row("Postfix", "PIPELINING, CHUNKING", 50, side([t(530, 3), t(520, 3), t(525, 3)]), side([t(625, 4), t(620, 4), t(630, 4)])),
  ],
  warm: [row("Postfix", "PIPELINING, CHUNKING", 50, side([t(108, 1, 0), t(110, 1, 0), t(109, 1, 0)]), side([t(210, 2, 0), t(212, 2, 0), t(211, 2, 0)]))],
  throughput: [
    {
      payload: "1 KB text",
      messages: 200,
      alertmail: { runs: [{ ms: 1000, connections: 1, delivered: 200 }], errors: [] },
      nodemailer: { runs: [{ ms: 800, connections: 1, delivered: 200 }], errors: [] },
    },
  ],
  board: { bytes: 21027, variablesFromRam: 2444, variablesFromStorage: 1170, esp32Variables: 3400, modules: [], largestWrite: { max: 2048, writes: 18, bytes: 29502 } },
};

const lineOf = (md: string, start: string) => md.split("\n").find((l) => l.startsWith(`| ${start}`)) ?? "";

describe("README bench summary", () => {
  it("puts each headline number next to its target and verdict, computed from the run's data", () => {
    const md = renderReadmeSummary(sample, { budgetBytes: 24 * 1024 });
    expect(lineOf(md, "cold alert, Postfix (PIPELINING, CHUNKING), 50 ms: flights after TLS")).toBe(
      "| cold alert, Postfix (PIPELINING, CHUNKING), 50 ms: flights after TLS (simulator) | 3 | 4 |  | ≤ 3 flights | met |",
    );
    expect(lineOf(md, "cold alert, Postfix (PIPELINING, CHUNKING), 50 ms: trigger→250")).toMatch(/\| 525 ms \| 625 ms \| 0\.84× \| ≤ 0\.85× \| met \|$/);
    expect(lineOf(md, "cold alert, smtp-server sink (PIPELINING), 50 ms: flights after TLS")).toMatch(/\| 4 \| 4 \|  \| ≤ 4 flights \| met \|$/);
    expect(lineOf(md, "cold alert, smtp-server sink (PIPELINING), 50 ms: trigger→250")).toMatch(/\| 735 ms \| 722 ms \| 1\.02× \|/);
    expect(lineOf(md, "warm alert, Postfix (PIPELINING, CHUNKING), 50 ms: flights")).toMatch(/\| 1 \| 2 \(pool\) \|  \| 1 flight \| met \|$/);
    // 109 / 211 = 0.517: over the 0.5 target.
    expect(lineOf(md, "warm alert, Postfix (PIPELINING, CHUNKING), 50 ms: trigger→250")).toMatch(/\| 109 ms \| 211 ms \(pool\) \| 0\.52× \| ≤ 0\.5× \| NOT met \|$/);
    expect(lineOf(md, "throughput, 200 × 1 KB text")).toMatch(/\| 200\.0 msg\/s \| 250\.0 msg\/s \(pool\) \| 0\.80× \| ≥ 1× \| NOT met \|$/);
    expect(lineOf(md, "firmware/app.js")).toMatch(/\| 21027 bytes \(20\.5 KB\) \|  \|  \| ≤ 24\.0 KB \(tools\/budget\.ts\) \| met \|$/);
    expect(lineOf(md, "variables, code run from RAM")).toMatch(/\| 2444 \(72% of 3400\) \|/);
    expect(lineOf(md, "variables, code run from Storage")).toMatch(/\| 1170 \(34% of 3400\) \|/);
    expect(lineOf(md, "largest socket write")).toMatch(/\| 2048 bytes \|  \|  \| ≤ 2048 bytes \| met \|$/);
    expect(md).toContain("[bench/RESULTS.md](bench/RESULTS.md)");
    // A smaller budget flips the size verdict: it is computed, not written in.
    expect(lineOf(renderReadmeSummary(sample, { budgetBytes: 20 * 1024 }), "firmware/app.js")).toMatch(/\| NOT met \|$/);
  });

  it("says 'not measured' where a server was not in the run", () => {
    const md = renderReadmeSummary({ ...sample, cold: sample.cold.filter((r) => r.server !== "Postfix"), warm: [] }, { budgetBytes: 24 * 1024 });
    expect(lineOf(md, "cold alert, Postfix (PIPELINING, CHUNKING), 50 ms one-way")).toMatch(/not in this run.*not measured \|$/);
    expect(lineOf(md, "warm alert, 50 ms one-way")).toMatch(/not measured \|$/);
  });

  it("rewrites only what lies between the markers, keeping every other byte of the README", () => {
    const before = "# Title\n\nintro ✓\r\n\n" + README_START + "\nold summary\n| a | b |\n" + README_END + "\n\n## After\ntext\n";
    const out = replaceReadmeBlock(before, "NEW\nLINES\n");
    expect(out).toBe("# Title\n\nintro ✓\r\n\n" + README_START + "\nNEW\nLINES\n" + README_END + "\n\n## After\ntext\n");
    // Rewriting again with the same summary changes nothing.
    expect(replaceReadmeBlock(out, "NEW\nLINES")).toBe(out);
    // Against the real README: outside the block, nothing differs.
    const readme = readFileSync(join(import.meta.dirname, "..", "..", "README.md"), "utf8");
    const rewritten = replaceReadmeBlock(readme, renderReadmeSummary(sample, { budgetBytes: 24 * 1024 }));
    const outside = (s: string) => [s.slice(0, s.indexOf(README_START)), s.slice(s.indexOf(README_END))];
    expect(outside(rewritten)).toEqual(outside(readme));
    expect(rewritten).toContain("| firmware/app.js | 21027 bytes");
  });

  it("refuses a README without exactly one pair of markers in order", () => {
    expect(() => replaceReadmeBlock("no markers", "x")).toThrow(/bench:start/);
    expect(() => replaceReadmeBlock(`${README_END}\n${README_START}`, "x")).toThrow(/bench:start/);
    expect(() => replaceReadmeBlock(`${README_START}\n${README_END}\n${README_START}\n${README_END}`, "x")).toThrow(/bench:start/);
  });
});
