// Helpers for the API tests: compile a preset (as board.json validation does), point it at the embedded
// API server, build the send-batch fixture with the firmware's esbuild settings, run it on the simulator.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import type { ApiSettings } from "../../src/api/settings.ts";
import type { ApiMail } from "../../src/api/request-body.ts";
import { compileApi, type BoardApi } from "../../tools/config/api-spec.ts";
import { esbuildOptions, ROOT } from "../../tools/build.ts";
import { createSimBoard, type SimBoard } from "../../host-sim/board.ts";

const TMP = join(ROOT, "test", ".tmp", "api");

export interface BatchResult {
  err: string | null;
  results: { accepted: string[]; response: string; error: { message: string; transient: boolean; status: number; code: string } | null }[];
}

/** A preset compiled as the validator does, aimed at 127.0.0.1:port (TLS kept). */
export function presetAt(api: BoardApi, port: number, path?: string): ApiSettings {
  const r = compileApi(api, []);
  if (!r.settings) throw new Error(r.problems.map((p) => `${p.path}: ${p.message}`).join("\n"));
  return { ...r.settings, host: "127.0.0.1", port, path: path ?? r.settings.path };
}

let built: Promise<Buffer> | null = null;
/** The fixture bundle (built once per test file). */
export function fixtureBundle(): Promise<Buffer> {
  built ??= (async () => {
    mkdirSync(TMP, { recursive: true });
    const out = join(mkdtempSync(join(TMP, "send-batch-")), "app.js");
    const r = await build(esbuildOptions(join(ROOT, "test", "api", "fixtures", "send-batch.ts"), out));
    const js = r.outputFiles.find((f) => f.path === out);
    if (!js) throw new Error("esbuild wrote no bundle");
    return Buffer.from(js.contents);
  })();
  return built;
}

/** alertmail.json-style JSON of the job, as the board's Storage holds it. */
export function jobFile(api: ApiSettings, mails: ApiMail[]): Buffer {
  // JSON.stringify escapes the \x01/\x02 markers; UTF-8 bytes as the PC tools write the config.
  return Buffer.from(JSON.stringify({ api, mails }), "utf8");
}

/** Boots the fixture on the simulator and resolves with its RESULT line. */
export async function runOnSim(api: ApiSettings, mails: ApiMail[], timeoutMs = 20000): Promise<{ result: BatchResult; board: SimBoard }> {
  const code = await fixtureBundle();
  mkdirSync(TMP, { recursive: true });
  const dir = mkdtempSync(join(TMP, "storage-"));
  writeFileSync(join(dir, "%2Ebootcde"), code);
  writeFileSync(join(dir, "apijob"), jobFile(api, mails));
  const board = createSimBoard({ storageDir: dir });
  board.boot();
  try {
    const line = await board.waitForOutput(/^RESULT /, timeoutMs);
    return { result: JSON.parse(line.slice(7)) as BatchResult, board };
  } finally {
    board.stop();
  }
}

export const ACCENTS = "Température élevée à l'entrée: 31 °C, garçon";
export const CJK = "冷凍庫の温度が高い 温度警報";
export const EMOJI = "🚨 door open 🔥";
