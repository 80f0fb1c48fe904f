// The bench's report: statistics, target verdicts computed from the data, tables and chart from the data only.
import { describe, expect, it } from "vitest";
import { apiTable, checkTargets, renderChart, renderMarkdown, type LatencyRow, type Results, type Side } from "../../bench/report.ts";
import { median, summarize } from "../../bench/stats.ts";
import { moduleShares, variablesFor } from "../../bench/board-cost.ts";
import { htmlOfBytes, textOfBytes } from "../../bench/messages.ts";
import { side, t } from "./trials.ts";

const skipped = (why: string): Side => ({ trials: [], errors: [], skipped: why });

function results(over: Partial<Results> = {}): Results {
  return {
    info: { date: "D", durationS: 1, versions: { node: "v" }, machine: { os: "x" }, trialsPerCell: 3, unavailable: [] },
    cold: [],
    warm: [],
    throughput: [],
    board: { bytes: 2048, variablesFromRam: 238, variablesFromStorage: 114, esp32Variables: 3400, modules: [], largestWrite: { max: 1500, writes: 20, bytes: 21000 } },
    ...over,
  };
}

const row = (offers: string, delayMs: number, am: Side, nm: Side): LatencyRow => ({ server: "S", offers, delayMs, alertmail: am, nodemailer: nm });

describe("bench report", () => {
  it("puts the API path's flights and trigger→2xx beside the SMTP rows of the same delay, or says why it was not measured", () => {
    const cold = [row("PIPELINING", 0, side([t(900, 4)]), side([t(1000, 4)])), row("PIPELINING", 50, side([t(600, 4), t(640, 4), t(620, 4)]), side([t(700, 4)]))];
    const md = apiTable([{ provider: "postmark", delayMs: 50, side: side([t(300, 1), t(340, 1), t(320, 1)]) }], cold).join("\n");
    const line = md.split("\n").find((l) => l.startsWith("| postmark"))!;
    expect(line.split("|").map((c) => c.trim())).toEqual(["", "postmark", "50 ms", expect.stringMatching(/^1\b/), expect.stringMatching(/^320 ms/), expect.stringMatching(/^620 ms/), expect.stringMatching(/^700 ms/), expect.stringMatching(/^0\.46×/), ""]);
    expect(apiTable({ skipped: "no simulator" }, cold).join("\n")).toContain("Not measured: no simulator");
    expect(renderMarkdown(results({ cold, api: [{ provider: "postmark", delayMs: 0, side: side([t(400, 1)]) }] }))).toContain("| postmark | 0 ms |");
  });

  it("takes the median of odd and even samples and the spread", () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(summarize([7, 1, 4])).toEqual({ n: 3, median: 4, min: 1, max: 7 });
    expect(summarize([])).toBeNull();
  });

  it("judges each target from the measured trials, and says 'not measured' with the reason when a side did not run", () => {
    const r = results({
      cold: [
        row("PIPELINING, CHUNKING", 50, side([t(300, 3), t(320, 3), t(310, 3)]), side([t(500, 4), t(520, 4), t(510, 4)])),
        row("PIPELINING", 50, skipped("not available yet (no simulator)"), side([t(500, 4)])),
      ],
      warm: [row("PIPELINING, CHUNKING", 50, side([t(100, 1, 0), t(110, 2, 0), t(105, 1, 0)]), side([t(200, 2, 0)]))],
      throughput: [
        {
          payload: "1 KB text",
          messages: 10,
          alertmail: { runs: [{ ms: 1000, connections: 1, delivered: 10 }, { ms: 2000, connections: 1, delivered: 10 }, { ms: 900, connections: 1, delivered: 10 }], errors: [] },
          nodemailer: { runs: [{ ms: 500, connections: 1, delivered: 10 }], errors: [] },
        },
      ],
    });
    const v = Object.fromEntries(checkTargets(r).map((c) => [c.target, c]));
    expect(v["≤ 3 flights after the TLS handshake with CHUNKING (cold)"]).toMatchObject({ verdict: "met", measured: "at most 3" });
    expect(v["≤ 4 flights after the TLS handshake with PIPELINING only (cold)"]).toMatchObject({ verdict: "not measured", measured: "not available yet (no simulator)" });
    // One warm trial took 2 flights: the worst case decides.
    expect(v["1 flight on a warm connection (CHUNKING)"]).toMatchObject({ verdict: "NOT met", measured: "at most 2" });
    expect(v["cold, CHUNKING, 50 ms one-way: trigger→250 ≤ 0.85 × nodemailer"]).toMatchObject({
      verdict: "met",
      measured: "0.608× (medians); round trips alone would give 0.83× (5 vs 6 client flights, TLS included)",
    });
    expect(v["warm, 50 ms one-way (S): trigger→250 ≤ 0.5 × pooled nodemailer"]).toMatchObject({ verdict: "NOT met", measured: "0.525× (medians); round trips alone would give 0.50× (1 vs 2 client flights, TLS included)" });
    expect(v["throughput ≥ nodemailer (1 KB text)"]).toMatchObject({ verdict: "NOT met", measured: "0.50× nodemailer's msg/s" });
    expect(v["largest socket write ≤ 2 KB (20 KB HTML alert)"]).toMatchObject({ verdict: "met", measured: "1500 bytes in one write" });
  });

  it("writes tables whose figures are the data's (median and range per cell, ratio of medians)", () => {
    const tp = {
      payload: "20 KB HTML",
      messages: 10,
      alertmail: { runs: [{ ms: 1000, connections: 1, delivered: 10, queuedMs: 100 }, { ms: 500, connections: 1, delivered: 10, queuedMs: 300 }], errors: ["failed: x"] },
      nodemailer: { skipped: "not run" },
    };
    const md2 = renderMarkdown(results({ throughput: [tp] }));
    expect(md2).toContain("| 10 × 20 KB HTML | 15.0 msg/s (10.0–20.0, 2 runs); 1 connection per run; 0.20 s of each run storing the 10 alerts in the outbox; 1 failed: failed: x | not run | — |");
    const md = renderMarkdown(results({ cold: [row("PIPELINING", 25, side([t(301, 4), t(299, 4), t(350, 5)]), side([t(600, 4), t(640, 4), t(610, 4)]))] }));
    expect(md).toContain("| S (PIPELINING) | 25 ms | 4 (4–5) | 301 ms (299–350) | 4 | 610 ms (600–640) | 0.49× | 5 ms (5–5) / 5 ms (5–5) |");
    expect(md).toContain("| firmware/app.js | 2048 bytes (2.0 KB) |");
    expect(md).toContain("1500 bytes (20 writes, 21000 bytes in all)");
  });

  it("draws one line per client and server in the chart, and says so when there is nothing to draw", () => {
    const svg = renderChart([
      row("PIPELINING", 0, side([t(100, 4)]), side([t(120, 4)])),
      row("PIPELINING", 50, side([t(500, 4)]), side([t(700, 4)])),
    ]);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain("alertmail → S (PIPELINING)");
    expect(renderChart([])).toContain("no measurements in this run");
  });

  it("attributes bundle bytes to modules from an esbuild metafile and estimates variables per KB", () => {
    const meta = {
      inputs: {},
      outputs: { "firmware/app.js": { bytes: 1000, inputs: { "src/a.ts": { bytesInOutput: 600 }, "src/b.ts": { bytesInOutput: 300 }, "src/c.ts": { bytesInOutput: 0 } }, imports: [], exports: [] } },
    };
    const r = moduleShares(meta as never, "/x");
    expect(r.outputBytes).toBe(1000);
    expect(r.modules).toEqual([
      { module: "src/a.ts", bytes: 600, share: 0.6 },
      { module: "src/b.ts", bytes: 300, share: 0.3 },
      { module: "(esbuild's wrapper and glue)", bytes: 100, share: 0.1 },
    ]);
    expect(variablesFor(2048)).toEqual({ ram: 238, storage: 114 });
  });

  it("makes bench payloads of the asked size", () => {
    expect(textOfBytes(1024, "x")).toHaveLength(1024);
    const html = htmlOfBytes(20 * 1024, "y");
    expect(html.length).toBeLessThanOrEqual(20 * 1024);
    expect(html.length).toBeGreaterThan(20 * 1024 - 100);
    expect(html.endsWith("</html>\n")).toBe(true);
  });
});

describe("bench CPU shares", () => {
  it("splits sampled time into firmware, simulator and the rest, built-ins counting for their caller, idle left out", async () => {
    const { sharesOf } = await import("../../bench/cpu-share.ts");
    const node = (id: number, functionName: string, url: string, children: number[] = []) => ({ id, callFrame: { functionName, url }, children });
    const profile = {
      nodes: [
        node(1, "(root)", "", [2, 3, 4, 6, 7]),
        node(2, "send", ".bootcde", [5]),
        node(3, "replace", "sim:prelude"),
        node(4, "measureDepth", "file:///x/host-sim/board.ts"),
        node(5, "RegExp: a+", ""), // a built-in called by the firmware
        node(6, "(idle)", ""),
        node(7, "(garbage collector)", ""),
      ],
      samples: [2, 5, 3, 4, 6, 7, 3],
      timeDeltas: [1000, 1000, 1000, 1000, 5000, 1000, 1000],
    };
    const s = sharesOf(profile);
    expect(s.busyMs).toBe(6);
    expect(s.firmware).toBeCloseTo(2 / 6);
    expect(s.simulator).toBeCloseTo(3 / 6);
    expect(s.rest).toBeCloseTo(1 / 6);
  });
});
