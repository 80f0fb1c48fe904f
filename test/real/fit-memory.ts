// Fits the simulator's process.memory() constants (host-sim/board.ts) to test/real/fixtures/memory.json:
// `npx tsx test/real/fit-memory.ts` replays the fixture's scenarios in the simulator, then prints the
// constants that make its estimate match the real interpreter, and how far each scenario stays off.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BASE_VARS, createSimBoard, SESSION_VARS, VARS_PER_HELD_BYTE } from "../../host-sim/board.ts";
import { startSmtpSink } from "../../host-sim/smtp-sink.ts";
import { createSimStorage } from "../../host-sim/storage.ts";
import { loadBoardConfig } from "../../tools/config/load.ts";
import { storageFiles } from "../../tools/flash/payload.ts";
import { boardFor } from "./measure.ts";
import { MEMORY_FIXTURE, type MemoryFixture } from "./quick.ts";

const ROOT = join(import.meta.dirname, "..", "..");

/** The bytes of outbox message the simulator counts as held at the peak of each scenario (what it read). */
export async function simHeld(scenarios: string[]): Promise<number[]> {
  const sink = await startSmtpSink({ tls: false });
  const dir = mkdtempSync(join(tmpdir(), "alertmail-fit-"));
  try {
    const file = join(dir, "board.json");
    writeFileSync(file, JSON.stringify(boardFor({ port: sink.port, security: "plain" })));
    const cfg = loadBoardConfig({ file, localFile: join(dir, "none.json"), env: {} });
    if (!cfg.ok) throw new Error(cfg.errors.join("; "));
    const storage = createSimStorage({ dir });
    for (const f of storageFiles(readFileSync(join(ROOT, "firmware", "app.js")), cfg.config)) storage.writeBytes(f.name, f.data);
    const board = createSimBoard({ storageDir: dir });
    board.boot();
    await board.waitForOutput(/alertmail: sent "Garage restarted"/, 20000);
    await new Promise((r) => setTimeout(r, 200));
    const rest = board.memory().usage;
    const held: number[] = [];
    let k = 0;
    for (const sc of scenarios) {
      const m = /of (\d+) bytes/.exec(sc);
      const subject = m ? `fit ${++k}` : "Garage: test mail";
      let max = 0;
      const timer = setInterval(() => (max = Math.max(max, board.memory().usage)), 2);
      board.eval(m ? `alertmail.send({subject:${JSON.stringify(subject)},html:${JSON.stringify("<p>" + "x".repeat(Number(m[1]) - 7) + "</p>")}})` : "alertmail.test()");
      await board.waitForOutput(new RegExp(`alertmail: sent "${subject}"`), 30000);
      clearInterval(timer);
      held.push(Math.max(0, (max - rest - SESSION_VARS) / VARS_PER_HELD_BYTE));
      await new Promise((r) => setTimeout(r, 200));
    }
    board.stop();
    return held;
  } finally {
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const fx: MemoryFixture = JSON.parse(readFileSync(MEMORY_FIXTURE, "utf8"));
  const { plain, plainNoRules } = fx.report;
  // Rest: a line through the two configurations; the code term is what is left above the bare interpreter.
  const perConfigByte = (plain.rest - plainNoRules.rest) / (plain.configBytes - plainNoRules.configBytes);
  const codeVars = plainNoRules.rest - perConfigByte * plainNoRules.configBytes - BASE_VARS;
  const perKB = codeVars / (plain.codeBytes / 1024);
  // Peaks: least squares of (peak - rest) = session + perHeldByte * held over the plain scenarios.
  const held = plain.peaks.map((p) => p.simHeldBytes ?? 0);
  if (plain.peaks.some((p) => p.simHeldBytes === undefined)) held.splice(0, held.length, ...(await simHeld(plain.peaks.map((p) => p.scenario))));
  const ys = plain.peaks.map((p) => p.peak - plain.rest);
  const n = ys.length;
  const mx = held.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  const sxx = held.reduce((a, x) => a + (x - mx) ** 2, 0);
  const slope = sxx > 0 ? held.reduce((a, x, i) => a + (x - mx) * (ys[i]! - my), 0) / sxx : 0;
  const session = my - slope * mx;
  console.log(`fixture ${fx.commit} (${fx.date}); simulator's held bytes per scenario: ${held.map((h) => h.toFixed(0)).join(", ")}`);
  console.log(`VARS_PER_KB_FROM_STORAGE = ${perKB.toFixed(1)}`);
  console.log(`VARS_PER_CONFIG_BYTE = ${perConfigByte.toFixed(3)}`);
  console.log(`SESSION_VARS = ${Math.round(session)}`);
  console.log(`VARS_PER_HELD_BYTE = ${slope.toFixed(4)}`);
  plain.peaks.forEach((p, i) => {
    const est = plain.rest + session + slope * held[i]!;
    console.log(`  ${p.scenario}: measured ${p.peak}, fitted ${est.toFixed(0)} (${(((est - p.peak) / p.peak) * 100).toFixed(1)}%)`);
  });
}

if (process.argv[1] && import.meta.filename === process.argv[1])
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
