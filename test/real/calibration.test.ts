// The simulator's process.memory() stays within 15% of what the real interpreter measured (at rest and
// at the sampled peak of the same scenarios, test/real/fixtures/memory.json); runs without ESPRUINO.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSimBoard, estimateVariables, SESSION_VARS, VARS_PER_HELD_BYTE, type SimBoard } from "../../host-sim/board.ts";
import { startSmtpSink, type SmtpSink } from "../../host-sim/smtp-sink.ts";
import { createSimStorage } from "../../host-sim/storage.ts";
import { loadBoardConfig } from "../../tools/config/load.ts";
import { storageFiles } from "../../tools/flash/payload.ts";
import { boardFor } from "./measure.ts";
import { MEMORY_FIXTURE, type MemoryFixture } from "./quick.ts";

const TOLERANCE = 0.15;
const fixture: MemoryFixture = JSON.parse(readFileSync(MEMORY_FIXTURE, "utf8"));
const { plain, plainNoRules, tls } = fixture.report;
const off = (estimate: number, measured: number) => Math.abs(estimate - measured) / measured;

describe(`the simulator's memory estimate against the real interpreter (fixture of ${fixture.commit}, ${fixture.date.slice(0, 10)})`, () => {
  it.each([
    ["plain relay, shipped rules", plain],
    ["plain relay, no rules", plainNoRules],
    ["TLS, shipped rules (no connection open: TLS memory not counted)", tls],
  ])("at rest: %s", (_, run) => {
    const est = estimateVariables({ codeBytes: run.codeBytes, configBytes: run.configBytes, connectionOpen: false, heldBytes: 0 });
    expect(off(est, run.rest), `estimate ${est}, measured ${run.rest}`).toBeLessThanOrEqual(TOLERANCE);
  });

  it.each(plain.peaks.map((p) => [p.scenario, p] as const))("peak while sending on a plain relay: %s", (_, p) => {
    // heldBytes: what the simulator counted as held replaying this scenario on the recorded bundle.
    const est = estimateVariables({ codeBytes: plain.codeBytes, configBytes: plain.configBytes, connectionOpen: true, heldBytes: p.simHeldBytes ?? p.outboxBytes });
    expect(off(est, p.peak), `estimate ${est}, measured ${p.peak}`).toBeLessThanOrEqual(TOLERANCE);
  });

  it("the fixture is a real measurement: sampled peaks above rest, TLS above plain (mbedtls on this build's variables)", () => {
    expect(plain.peaks.length).toBeGreaterThanOrEqual(2);
    for (const p of plain.peaks) {
      expect(p.peak).toBeGreaterThan(plain.rest);
      expect(p.samples).toBeGreaterThan(0);
    }
    for (const p of tls.peaks) expect(p.peak).toBeGreaterThan(plain.peaks.find((x) => x.scenario === p.scenario)!.peak);
  });
});

describe("the simulator reports that estimate while the firmware runs (current firmware/app.js, shipped rules)", () => {
  let sink: SmtpSink;
  let board: SimBoard;
  let dir: string;
  const lines: string[] = [];
  /** The largest outbox file seen while sampling. */
  let outboxBytes = 0;

  beforeAll(async () => {
    sink = await startSmtpSink({ tls: false });
    dir = mkdtempSync(join(tmpdir(), "alertmail-calibration-"));
    const boardFile = join(dir, "board.json");
    writeFileSync(boardFile, JSON.stringify(boardFor({ port: sink.port, security: "plain" })));
    const cfg = loadBoardConfig({ file: boardFile, localFile: join(dir, "none.json"), env: {} });
    if (!cfg.ok) throw new Error(cfg.errors.join("; "));
    const storage = createSimStorage({ dir });
    for (const f of storageFiles(readFileSync(join(import.meta.dirname, "..", "..", "firmware", "app.js")), cfg.config)) storage.writeBytes(f.name, f.data);
    board = createSimBoard({ storageDir: dir, log: (l) => lines.push(l) });
    board.boot();
    await board.waitForOutput(/alertmail: sent "Garage restarted"/, 20000);
  });
  afterAll(async () => {
    board?.stop();
    await sink?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** board.memory() sampled every 5 ms until the mail is logged as sent: the highest usage. */
  async function peakWhile(trigger: string, subject: string): Promise<number> {
    let max = 0;
    const timer = setInterval(() => {
      max = Math.max(max, board.memory().usage);
      for (const n of board.storage.names()) if (/^amq/.test(n)) outboxBytes = Math.max(outboxBytes, board.storage.readBytes(n)!.length);
    }, 5);
    try {
      board.eval(trigger);
      await board.waitForOutput(new RegExp(`alertmail: sent "${subject}"`), 20000);
    } finally {
      clearInterval(timer);
    }
    return max;
  }

  it("at rest: the code and the configuration, nothing held", () => {
    const m = board.memory();
    const codeBytes = board.storage.readBytes(".bootcde")!.length;
    const configBytes = board.storage.readBytes("alertmail.json")!.length;
    expect(m.usage).toBe(estimateVariables({ codeBytes, configBytes, connectionOpen: false, heldBytes: 0 }));
    expect(board.eval("process.memory().usage")).toBe(m.usage);
    // Same code as the recorded run: the simulator's own number is within 15% of the interpreter's.
    if (codeBytes === plain.codeBytes) expect(off(m.usage, plain.rest)).toBeLessThanOrEqual(TOLERANCE);
  });

  it("while a 20 KB HTML alert is sent, the message held and the session count, and go again after", async () => {
    const rest = board.memory().usage;
    const html = `<p>${"x".repeat(20 * 1024)}</p>`;
    const peak = await peakWhile(`alertmail.send({subject:"cal html",html:${JSON.stringify(html)}})`, "cal html");
    // The session counts, and what the firmware read of the message: at most its whole outbox file.
    expect(peak).toBeGreaterThan(rest + SESSION_VARS);
    expect(peak).toBeLessThanOrEqual(rest + SESSION_VARS + Math.round(outboxBytes * VARS_PER_HELD_BYTE) + 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(board.memory().usage).toBe(rest);
    const real = plain.peaks.find((p) => /20\d\d\d bytes/.test(p.scenario));
    if (real && board.storage.readBytes(".bootcde")!.length === plain.codeBytes) expect(off(peak, real.peak)).toBeLessThanOrEqual(TOLERANCE);
  });
});
