// Test helpers for the simulator: build a fixture bundle the way the firmware is built, install
// it as .bootcde in a fresh Storage folder, and boot a simulated board on it.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { build } from "esbuild";
import { esbuildOptions, ROOT } from "../../tools/build.ts";
import { createSimBoard, type SimBoard, type SimBoardOptions } from "../../host-sim/board.ts";

export const FIXTURES = join(ROOT, "test", "fixtures", "sim");
/** Fixtures of the simulator's own tests (looked up when test/fixtures/sim has no such name). */
export const SIM_FIXTURES = join(ROOT, "test", "sim", "fixtures");
const TMP = join(ROOT, "test", ".tmp", "sim");

/** Bundles test/fixtures/sim/NAME.js with the firmware's esbuild settings (charset utf8, es2015,
 * one IIFE) but without the bundle check: some fixtures do on purpose what the check refuses, to
 * show the simulator refuses it too. Returns the bundle bytes and its source map. */
export async function buildFixtureFiles(name: string): Promise<{ code: Buffer; map: string; dir: string }> {
  mkdirSync(TMP, { recursive: true });
  const outfile = join(mkdtempSync(join(TMP, `${name}-`)), "app.js");
  const entry = existsSync(join(FIXTURES, `${name}.js`)) ? join(FIXTURES, `${name}.js`) : join(SIM_FIXTURES, `${name}.js`);
  const r = await build(esbuildOptions(entry, outfile));
  const js = r.outputFiles.find((f) => f.path === outfile);
  const map = r.outputFiles.find((f) => f.path === `${outfile}.map`);
  if (!js || !map) throw new Error(`fixture ${name}: esbuild wrote no ${outfile}`);
  return { code: Buffer.from(js.contents), map: map.text, dir: dirname(outfile) };
}

export async function buildFixture(name: string): Promise<Buffer> {
  return (await buildFixtureFiles(name)).code;
}

/** A fresh Storage folder holding the given files (name → bytes or latin1 string). */
export function makeStorage(files: Record<string, Buffer | string> = {}): string {
  mkdirSync(TMP, { recursive: true });
  const dir = mkdtempSync(join(TMP, "storage-"));
  for (const [name, data] of Object.entries(files)) {
    writeFileSync(join(dir, encodeURIComponent(name).replace(/^\./, "%2E")), typeof data === "string" ? Buffer.from(data, "latin1") : data);
  }
  return dir;
}

/** Builds the fixture, installs it as .bootcde (plus extra Storage files) and boots. */
export async function bootFixture(
  name: string,
  files: Record<string, Buffer | string> = {},
  opts: Partial<SimBoardOptions> = {},
): Promise<SimBoard> {
  const { code, map, dir } = await buildFixtureFiles(name);
  const board = createSimBoard({ storageDir: makeStorage({ ...files, ".bootcde": code }), sourceMap: map, sourceMapDir: dir, ...opts });
  board.boot();
  return board;
}

/** Resolves once cond() is true (checked every 5 ms); rejects after timeoutMs with what. */
export function until(cond: () => boolean, timeoutMs: number, what = "condition"): Promise<void> {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const tick = () => {
      if (cond()) return resolve();
      if (Date.now() - start > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 5);
    };
    tick();
  });
}

/** Installs test/fixtures/sim/NAME.js as .bootcde byte for byte (no esbuild: for code esbuild would refuse) and boots. */
export function bootRawFixture(name: string, opts: Partial<SimBoardOptions> = {}): SimBoard {
  const code = readFileSync(join(FIXTURES, `${name}.js`));
  const board = createSimBoard({ storageDir: makeStorage({ ".bootcde": code }), ...opts });
  board.boot();
  return board;
}

/**
 * Resolves once the firmware can send nothing more: its outbox is empty, no send is under way and no
 * socket is open (so every byte it sent has reached the server, and a duplicate would already be
 * in the server's mailbox). Rejects with the outbox's state after timeoutMs.
 */
export async function quiescent(board: SimBoard, timeoutMs = 30000): Promise<void> {
  const idle = () => {
    const o = (board.eval("alertmail.status()") as { outbox: { queued: number; sending: boolean } }).outbox;
    return o.queued === 0 && !o.sending && board.netStats.open === 0;
  };
  await until(idle, timeoutMs, "the outbox empty and the connection closed").catch((e: Error) => {
    const o = (board.eval("alertmail.status()") as { outbox: unknown }).outbox;
    throw new Error(`${e.message}: outbox ${JSON.stringify(o)}, open sockets ${board.netStats.open}`);
  });
}
