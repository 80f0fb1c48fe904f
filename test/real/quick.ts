// Quick run on the real interpreter, for people and scripts: `ESPRUINO=… npx tsx test/real/quick.ts
// memory [--fixture]` prints the measured variables as JSON (and with --fixture records them in
// test/real/fixtures/memory.json, the numbers the simulator's estimate is held to).
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildFirmware } from "../../tools/build.ts";
import { realInterpreter } from "./harness.ts";
import { simHeld } from "./fit-memory.ts";
import { memoryReport, type MemoryReport } from "./measure.ts";

const ROOT = join(import.meta.dirname, "..", "..");
export const MEMORY_FIXTURE = join(ROOT, "test", "real", "fixtures", "memory.json");

export interface MemoryFixture {
  /** How the numbers were made, for whoever reads the file. */
  scenario: string;
  commit: string;
  date: string;
  interpreter: string;
  report: MemoryReport;
}

function commit(): string {
  try {
    const head = execFileSync("git", ["-C", ROOT, "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["-C", ROOT, "status", "--porcelain", "--", "src"], { encoding: "utf8" }).trim();
    return dirty ? `${head} + uncommitted changes in src/` : head;
  } catch {
    return "unknown";
  }
}

export function memoryFixture(report: MemoryReport): MemoryFixture {
  return {
    scenario:
      "firmware/app.js flashed with `npm run flash -- --allow-sim` onto the real Espruino interpreter (ESP32 variable format), " +
      "the shipped board.json's rules pointed at the embedded smtp-server sink; rest = process.memory().usage once the boot " +
      "alert is sent; peak = highest process.memory(false).usage sampled every 5 ms from the trigger until the firmware logged " +
      "\"sent\" (alertmail.test(), then alertmail.send({html}) built in the interpreter, the caller's string dropped first); " +
      "the .boot0 stand-ins' own variables (Wifi, analogRead, setWatch, sampler) taken out. TLS: the same against implicit TLS.",
    commit: commit(),
    date: new Date().toISOString(),
    interpreter: String(process.env.ESPRUINO),
    report,
  };
}

async function main(argv: string[]): Promise<number> {
  const found = realInterpreter();
  if ("skipped" in found) {
    console.error(found.skipped);
    return 2;
  }
  if (argv[0] !== "memory") {
    console.error("usage: ESPRUINO=… npx tsx test/real/quick.ts memory [--fixture] [--verbose]");
    return 2;
  }
  const built = await buildFirmware();
  if (!built.ok) {
    console.error(`firmware did not build: ${built.errors.join("; ")}`);
    return 1;
  }
  const report = await memoryReport(argv.includes("--verbose") ? (l) => console.error(l) : undefined);
  // The same scenarios in the simulator, on the same bundle: what it counts as held at each peak.
  const held = await simHeld(report.plain.peaks.map((p) => p.scenario));
  report.plain.peaks.forEach((p, i) => (p.simHeldBytes = Math.round(held[i]!)));
  const fixture = memoryFixture(report);
  console.log(JSON.stringify(fixture, null, 1));
  if (argv.includes("--fixture")) {
    mkdirSync(join(MEMORY_FIXTURE, ".."), { recursive: true });
    writeFileSync(MEMORY_FIXTURE, JSON.stringify(fixture, null, 1) + "\n");
    console.error(`wrote ${MEMORY_FIXTURE}`);
  }
  return 0;
}

if (process.argv[1] && import.meta.filename === process.argv[1]) main(process.argv.slice(2)).then((c) => process.exit(c));
