// The real-interpreter part of the bench report: measured variables and issue 12's latency rows with
// their targets, simulator rows labelled as such, and a plain "not run" when ESPRUINO is not set.
import { describe, expect, it } from "vitest";
import { describeInterpreter, timingBuild, type RealLatencyRow, type RealResults } from "../../bench/real-side.ts";
import { realTargets, renderRealSection } from "../../bench/real-report.ts";
import { checkTargets, renderMarkdown, renderReadmeSummary, type Results } from "../../bench/report.ts";
import type { MemoryRun } from "../../test/real/measure.ts";
import { side, t } from "./trials.ts";

const run = (security: "plain" | "tls", rest: number, peaks: [string, number][]): MemoryRun => ({
  security,
  rules: "shipped rules",
  bare: 39,
  standIns: 104,
  codeBytes: 21751,
  configBytes: 1626,
  rest,
  peaks: peaks.map(([scenario, peak]) => ({ scenario, peak, outboxBytes: 200, samples: 50 })),
});
const lat = (kind: "cold" | "warm", trigger: string, delayMs: number, am: number, nm: number, hs?: number): RealLatencyRow => ({
  kind,
  trigger,
  server: "Postfix",
  offers: "PIPELINING, CHUNKING",
  delayMs,
  alertmail: side([t(am, 3), t(am + 10, 3), t(am - 10, 3)]),
  nodemailer: side([t(nm, 4), t(nm, 4), t(nm, 4)]),
  handshakeMs: hs === undefined ? [] : [hs, hs, hs],
});

const real: RealResults = {
  interpreter: "Espruino 2v29 ESP32SIM_LINUX, run under qemu-i386 (this kernel runs no 32-bit programs)",
  memory: {
    plain: run("plain", 2088, [
      ["alertmail.test()", 2448],
      ["alertmail.send({html}) of 20330 bytes", 3651],
    ]),
    plainNoRules: { ...run("plain", 1507, []), rules: "no rules", configBytes: 605 },
    tls: run("tls", 2097, [
      ["alertmail.test()", 5208],
      ["alertmail.send({html}) of 20330 bytes", 6204],
    ]),
  },
  breakdown: {
    total: 1848,
    rows: [{ where: "firmware boot() scope", what: "an object {kick,sent} (`T` in the bundle)", vars: 589 }],
    functions: { count: 46, vars: 266 },
    configObject: 247,
    unattributed: 867,
  },
  latency: [
    lat("cold", "alertmail.test()", 0, 1500, 80, 1300),
    lat("cold", 'alertmail.fire("door")', 50, 3000, 700),
    lat("warm", "alertmail.test()", 0, 100, 14),
    lat("warm", 'alertmail.fire("door")', 50, 110, 220),
  ],
  notes: [],
};

const base: Results = {
  info: { date: "2026-12-03T17:00:00.000Z", durationS: 600, versions: { alertmail: "0.1.0 (abc1234)", nodemailer: "10.6.1" }, machine: {}, trialsPerCell: 3, unavailable: [] },
  cold: [],
  warm: [],
  throughput: [],
  board: { bytes: 21751, variablesFromRam: 2528, variablesFromStorage: 1211, esp32Variables: 3400, modules: [], largestWrite: { skipped: "x" } },
};

describe("bench report, real interpreter", () => {
  it("says by how much each memory target is missed and why, and says nothing of it when both are met", () => {
    const md = renderRealSection(real).join("\n");
    expect(md).toContain("Missed: firmware/app.js 5367 B over (21751 B against 16 KB); at rest 1088 over (2088 against 1000); the 20 KB peak 1951 over (3651 against 1700). Why:");
    const met: RealResults = { ...real, memory: { ...real.memory, plain: { ...run("plain", 900, [["alertmail.send({html}) of 20330 bytes", 1600]]), codeBytes: 16000 } } };
    expect(renderRealSection(met).join("\n")).not.toContain("Missed:");
  });

  it("judges issue 11 and 12 targets from the measured numbers", () => {
    const v = Object.fromEntries(realTargets(real).map((c) => [c.target, c]));
    expect(v["real interpreter, plain relay: variables at rest ≤ 1000"]).toMatchObject({ measured: "2088", verdict: "NOT met" });
    expect(v["real interpreter, plain relay: peak during a 20 KB HTML alert ≤ 1700"]).toMatchObject({ measured: "3651", verdict: "NOT met" });
    expect(v["real interpreter: a rule's alert (shipped defaults), cold, 100 ms RTT ≤ 1.0 × nodemailer"]).toMatchObject({ measured: "4.29× (ESP32-format build under qemu (no native build))", verdict: "NOT met" });
    // 110 / 220 = 0.5: within 0.55.
    expect(v["real interpreter: a rule's alert (shipped defaults), warm, 100 ms RTT ≤ 0.55 × pooled nodemailer"]).toMatchObject({ measured: "0.50× (ESP32-format build under qemu (no native build))", verdict: "met" });
    expect(v["real interpreter: warm alert, no added delay ≤ 12 ms"]).toMatchObject({ measured: "100 ms (ESP32-format build under qemu (no native build))", verdict: "NOT met" });
    expect(v["real interpreter: cold alert, no added delay ≤ TLS handshake + 30 ms"]).toMatchObject({ verdict: "NOT met" });
    expect(v["real interpreter: cold alert, no added delay ≤ TLS handshake + 30 ms"]!.measured).toMatch(/^200 ms beyond the handshake \(1500 ms in all, handshake 1300 ms\) \(ESP32-format build under qemu \(no native build\)\)$/);
  });

  it("writes the measured variables, TLS apart, the breakdown and the latency rows into RESULTS.md, the simulator rows labelled", () => {
    const md = renderMarkdown({ ...base, real });
    expect(md).toContain("## 0. On Espruino's own interpreter (the real lane)");
    expect(md).toContain("under user-mode emulation, many times slower than native");
    expect(md).toContain("| at rest, shipped rules (21751 B of code, 1626 B alertmail.json) | 2088 | 2097 | ≤ 1000 |");
    expect(md).toContain("| peak, alertmail.send({html}) of 20330 bytes (outbox file 200 B, 50 samples) | 3651 | 6204 | ≤ 1700 |");
    expect(md).toContain("| the firmware booted and idle with a configuration without rules (605 B): its functions (code in Storage), SMTP client, outbox, sender, WiFi keeper, console | 1468 |");
    expect(md).toContain("| while sending alertmail.send({html}) of 20330 bytes | +1563 |");
    expect(md).toContain("| bundle module scope | the bundle's 46 top-level functions (code stays in Storage: these are their variables) | 266 |");
    expect(md).toMatch(/\| cold alertmail\.test\(\) \| Postfix \(PIPELINING, CHUNKING\) \| 0 ms \| 1500 ms \(1490–1510\); TLS handshake 1300 ms \|/);
    expect(md).toContain("## 1. Cold alert (simulator)");
    expect(md).toContain("the per-KB estimate, the fallback");
  });

  it("puts the real rows first in the README summary, the simulator's labelled", () => {
    const md = renderReadmeSummary({ ...base, real }, { budgetBytes: 24 * 1024 });
    const lines = md.split("\n").filter((l) => l.startsWith("| "));
    expect(lines[2]).toBe("| real interpreter: variables at rest (plain relay; ESP32-format build under qemu (variables)) | 2088 |  |  | ≤ 1000 | NOT met |");
    expect(md).toContain("| real interpreter: a rule's alert, warm, 100 ms RTT (ESP32-format build under qemu (no native build)) | 110 ms | 220 ms (pool) | 0.50× | ≤ 0.55× | met |");
    expect(md).toContain("(no native timing build: compare ratios, not absolute times); the other rows are the simulator's.");
    expect(md).toMatch(/\| variables, code run from Storage \(per-KB estimate, the fallback\) \| 1211/);
  });

  it("says how to enable the lane when ESPRUINO is not set, and judges nothing", () => {
    const skipped = { skipped: "real-interpreter lane skipped: ESPRUINO is not set" };
    expect(renderRealSection(skipped).join("\n")).toMatch(/Not run: real-interpreter lane skipped.*build-interpreter\.sh.*ESPRUINO=\/path\/to\/espruino npm run bench/s);
    expect(realTargets(skipped).every((c) => c.verdict === "not measured")).toBe(true);
    expect(checkTargets({ ...base, real: skipped }).filter((c) => c.target.startsWith("real interpreter")).length).toBe(6);
    expect(renderReadmeSummary({ ...base, real: skipped }, { budgetBytes: 24 * 1024 })).toContain("| real interpreter | not run (ESPRUINO not set)");
  });

  it("with only the qemu build, says every time is emulated and labels each latency row so", () => {
    const md = renderRealSection(real).join("\n");
    expect(md).toMatch(/Times: Espruino 2v29 ESP32SIM_LINUX, run under qemu-i386 .*\(ESP32-format build under qemu \(no native build\)\): no native timing build/);
    expect(md).toContain("build-interpreter.sh --native");
    expect(md).toContain("under user-mode emulation, many times slower than native");
    expect(md).toMatch(/\| cold alertmail\.test\(\) \| Postfix .* \| ESP32-format build under qemu \(no native build\) \|$/m);
  });

  it("takes the times from the native build when there is one, the variables from the ESP32-format build, and says which and why on every row", () => {
    const t = timingBuild("/b/espruino", real.interpreter, "/b/espruino-native", "Espruino 2v29 ESP32SIM_LINUX64, run natively");
    expect(t.bin).toBe("/b/espruino-native");
    expect(t.build).toMatchObject({ native: true, label: "native 64-bit build (timing)" });
    expect(t.build.why).toMatch(/qemu user-mode emulation, which inflates every time/);
    expect(t.build.why).toMatch(/memory rows stay on the ESP32-format build/);
    expect(t.build.why).toMatch(/stand-in flash file read through a memory map as an ESP32 reads Storage/);
    // Without a native build the memory build times the rows, and says it is emulated.
    expect(timingBuild("/b/espruino", real.interpreter, null, "")).toMatchObject({ bin: "/b/espruino", build: { native: false, label: "ESP32-format build under qemu (no native build)" } });
    // A 32-bit build that runs natively needs no second build.
    expect(timingBuild("/b/espruino", "Espruino 2v29 ESP32SIM_LINUX, run natively", null, "").build.why).toBe("the ESP32-format build runs natively here");

    const nat: RealResults = { ...real, timing: t.build, latency: real.latency.map((x) => ({ ...x, build: t.build.label })) };
    const md = renderRealSection(nat).join("\n");
    expect(md).toContain("Variables: Espruino 2v29 ESP32SIM_LINUX, run under qemu-i386");
    expect(md).toContain("Measured on the ESP32-format build under qemu (variables).");
    expect(md).toMatch(/Times: Espruino 2v29 ESP32SIM_LINUX64, run natively, the native 64-bit build \(timing\): the same Espruino source/);
    expect(md).not.toContain("compare ratios within this run");
    const rows = md.split("\n").filter((l) => /^\| (cold|warm) alertmail/.test(l));
    expect(rows.length).toBe(4);
    for (const r of rows) expect(r).toMatch(/\| native 64-bit build \(timing\) \|$/);
    const sum = renderReadmeSummary({ ...base, real: nat }, { budgetBytes: 24 * 1024 });
    expect(sum).toContain("| real interpreter: a rule's alert, warm, 100 ms RTT (native 64-bit build (timing)) | 110 ms | 220 ms (pool) | 0.50× | ≤ 0.55× | met |");
    expect(sum).toContain("| real interpreter: variables at rest (plain relay; ESP32-format build under qemu (variables)) | 2088 |");
    expect(sum).toContain('"real interpreter" rows: variables on Espruino 2v29 ESP32SIM_LINUX, run under qemu-i386 (this kernel runs no 32-bit programs) (the ESP32\'s variable format), times on Espruino 2v29 ESP32SIM_LINUX64, run natively');
    // The targets are judged on the same rows.
    expect(realTargets(nat).find((c) => c.target.includes("warm, 100 ms RTT"))).toMatchObject({ measured: "0.50× (native 64-bit build (timing))", verdict: "met" });
  });

  it("tells a qemu wrapper from a native binary", () => {
    expect(describeInterpreter("/nonexistent")).toBe("natively");
  });
});
