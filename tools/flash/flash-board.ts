// flashBoard(): board.json + firmware/app.js → Storage of a running Espruino, then restart and wait for the boot line.
import { readFileSync, writeFileSync } from "node:fs";
import type { DeviceConfig } from "../../src/config.ts";
import { CONFIG_FILE } from "../../src/config.ts";
import { APP_JS, buildFirmware } from "../build.ts";
import { loadBoardConfig } from "../config/load.ts";
import { FlashError } from "./errors.ts";
import { openLink, type Link } from "./link.ts";
import { BOOT_FILE, configBytes, storageFiles, type StorageFile } from "./payload.ts";
import { apiModuleFiles } from "../api-module.ts";
import {
  bytesNeeded,
  CLEAR_LINE,
  crc32,
  DEFAULT_CHUNK_BYTES,
  flashSteps,
  runningCheckStep,
  wireStream,
  type ProbeResult,
  type Step,
} from "./protocol.ts";
import { openSession, type ConsoleSession } from "./session.ts";

/** The firmware's boot lines (helper brief: firmware behaviour). */
export const BOOT_LINE = /alertmail: (ready|no configuration|bad configuration)/;

export interface FlashOptions {
  /** Serial device (/dev/ttyUSB0, COM3) or tcp://host[:port]. Required unless `out` is given. */
  port?: string;
  /** Write the byte stream into this file instead of sending it. */
  out?: string;
  /** Write only alertmail.json (then restart). */
  configOnly?: boolean;
  /** board.json and its overlay (defaults: loadBoardConfig's). */
  boardFile?: string;
  localFile?: string;
  env?: NodeJS.ProcessEnv;
  /** Use this config instead of loading board.json (tests, the simulator). */
  config?: DeviceConfig;
  /** Use these firmware bytes instead of building firmware/app.js. */
  appJs?: Buffer;
  /** Flash firmware/app.js as it is, without building it first. */
  noBuild?: boolean;
  /** Flash this bundle file instead of firmware/app.js (never built). */
  appFile?: string;
  chunkBytes?: number;
  /** Also accept a PC build of Espruino (process.env.BOARD like "ESP32SIM_LINUX": the ESP32's variable format
   * on Linux, tools/espruino/build-interpreter.sh) for a test run. Never implied: `--allow-sim` on the command line. */
  allowSim?: boolean;
  /** Per probe attempt (default 3000), and how many attempts (default 2). */
  probeTimeoutMs?: number;
  probeAttempts?: number;
  stepTimeoutMs?: number;
  bootTimeoutMs?: number;
  /** Pause after Ctrl-C so Espruino's interrupt flag clears before the first line (espruino tools wait 250 ms). */
  settleMs?: number;
  /** One line of human progress at a time ("writing .bootcde 4096/20480 bytes"). */
  log?: (line: string) => void;
  /** Bytes written so far of all the files. */
  progress?: (written: number, total: number) => void;
}

export interface FlashResult {
  files: { name: string; bytes: number }[];
  /** Bytes on the wire (the --out file's size). */
  wireBytes: number;
  probe?: ProbeResult;
  bootLine?: string;
}

function loadConfig(opts: FlashOptions): DeviceConfig {
  if (opts.config) return opts.config;
  const r = loadBoardConfig({ file: opts.boardFile, localFile: opts.localFile, env: opts.env });
  if (!r.ok)
    throw new FlashError(
      "ECONFIG",
      `${opts.boardFile ?? "board.json"} is not valid, nothing was sent:\n  - ${r.errors.join("\n  - ")}`,
    );
  return r.config;
}

async function loadApp(opts: FlashOptions): Promise<Buffer> {
  if (opts.appJs) return opts.appJs;
  if (opts.appFile) {
    try {
      return readFileSync(opts.appFile);
    } catch (e) {
      throw new FlashError("EBUILD", `cannot read the bundle ${opts.appFile}: ${(e as Error).message}`);
    }
  }
  if (!opts.noBuild) {
    // board.json was validated already (with its overlay and environment): build the code alone.
    const r = await buildFirmware({ board: false });
    if (!r.ok) throw new FlashError("EBUILD", `the firmware did not build, nothing was sent:\n  ${r.errors.join("\n  ")}`);
  }
  try {
    return readFileSync(APP_JS);
  } catch {
    throw new FlashError("EBUILD", `${APP_JS} does not exist: run \`npm run build\` (or flash without --no-build)`);
  }
}

/** The Storage files this flash writes, and its steps. */
export async function planFlash(opts: FlashOptions): Promise<{ files: StorageFile[]; steps: Step[] }> {
  const config = loadConfig(opts);
  const files = opts.configOnly
    ? [...apiModuleFiles(config), { name: CONFIG_FILE, data: configBytes(config) }]
    : storageFiles(await loadApp(opts), config);
  return { files, steps: flashSteps(files, opts.chunkBytes ?? DEFAULT_CHUNK_BYTES) };
}

/** A PC build of Espruino (a board file named like ESP32SIM_LINUX), not a chip: no WiFi, no pins. */
export function isPcBuild(board: string | undefined): boolean {
  return /SIM|LINUX/i.test(board ?? "");
}

function checkProbe(p: ProbeResult, files: StorageFile[], link: Link, allowSim: boolean): void {
  if (isPcBuild(p.board) && !allowSim)
    throw new FlashError(
      "EBOARD",
      `${link.name} runs Espruino ${p.version} for board "${p.board}", a build of Espruino for a PC, not an ESP32. ` +
        `To flash it for a test run, say so with --allow-sim (a board never needs it); nothing was written.`,
    );
  if (!/^ESP32/.test(p.board ?? ""))
    throw new FlashError(
      "EBOARD",
      `${link.name} runs Espruino ${p.version} for board "${p.board}", not an ESP32. alertmail is built for the ` +
        `ESP32 (official Espruino "ESP32" firmware); nothing was written.`,
    );
  const modules = String(p.modules ?? "").split(",");
  if (!modules.includes("tls"))
    throw new FlashError(
      "ENOTLS",
      `the Espruino firmware on ${link.name} (${p.board} ${p.version}) has no "tls" module, so it cannot send mail ` +
        `over TLS. Flash the official ESP32 firmware (espruino_${p.version}_esp32.tgz, the "ESP32" build), not ESP32_IDF4, ` +
        `which has no TLS (docs/flashing.md). Nothing was written.`,
    );
  if (!files.some((f) => f.name === BOOT_FILE) && !p.sizes[BOOT_FILE])
    throw new FlashError(
      "ENOCODE",
      `${link.name} has no alertmail code (.bootcde) yet, so a configuration alone would not run: flash without --config-only. Nothing was written.`,
    );
  const need = bytesNeeded(files, p);
  if (need > p.free)
    throw new FlashError(
      "ESTORAGE",
      `not enough free Storage on ${link.name}: ${need} more bytes needed, ${p.free} free. Free space with ` +
        `require("Storage").eraseAll() in the console (this deletes every file, including saved WiFi settings), ` +
        `or remove other files with require("Storage").list() / erase(name). Nothing was written.`,
    );
}

function describeSilence(session: ConsoleSession): string {
  const heard = session.lines.join("\n") + session.pending();
  if (!heard.trim()) return "nothing at all was received";
  return `received instead: ${JSON.stringify(heard.slice(-200))}`;
}

/**
 * The first step, tried again after a silence: opening a serial port can reset an ESP32 dev board
 * (DTR/RTS drive EN), which then ignores what arrives while it boots. A retry resends Ctrl-C and the
 * same line, so these extra bytes are the only difference from the --out stream.
 */
async function probe(session: ConsoleSession, step: Step, opts: FlashOptions) {
  const attempts = opts.probeAttempts ?? 2;
  for (let i = 1; ; i++) {
    try {
      return await session.run(step, opts.probeTimeoutMs ?? 3000);
    } catch (e) {
      if (i >= attempts || !(e instanceof FlashError) || e.code !== "ENOREPLY") throw e;
      await session.send(Buffer.from(CLEAR_LINE, "latin1"));
      await new Promise((r) => setTimeout(r, opts.settleMs ?? 250));
    }
  }
}

async function talk(session: ConsoleSession, link: Link, files: StorageFile[], steps: Step[], opts: FlashOptions, result: FlashResult) {
  const stepTimeout = opts.stepTimeoutMs ?? 30000;
  const total = files.reduce((n, f) => n + f.data.length, 0);
  let written = 0;
  const byName = new Map(files.map((f) => [f.name, f]));

  await session.send(Buffer.from(CLEAR_LINE, "latin1"));
  await new Promise((r) => setTimeout(r, opts.settleMs ?? 250));
  for (const step of steps) {
    if (step.kind === "restart") {
      const from = session.lines.length;
      opts.log?.(`restarting: load() runs .bootcde from Storage`);
      await session.send(Buffer.from(step.line, "latin1"));
      try {
        result.bootLine = await session.waitForLine(BOOT_LINE, opts.bootTimeoutMs ?? 30000, from);
      } catch (e) {
        if (e instanceof FlashError && e.code === "ECLOSED" && link.name.startsWith("tcp:")) {
          // The firmware rejoins WiFi at boot, which can cut the telnet session before the line arrives.
          result.bootLine = await reconnectAndCheck(opts, steps.length + 1);
          continue;
        }
        const seen = session.lines.slice(from).filter((l) => l.trim()).slice(-5);
        throw new FlashError(
          "EBOOT",
          `the files were written, but the board did not print its boot line after the restart ` +
            `(${(e as Error).message}).` +
            (seen.length ? ` Last lines:\n  ${seen.join("\n  ")}` : "") +
            `\nWatch its log on the serial port (docs/flashing.md, "Watching the log").`,
        );
      }
      if (!/alertmail: ready/.test(result.bootLine))
        throw new FlashError("EBOOT", `the board restarted but says: ${result.bootLine}`);
      continue;
    }
    let reply;
    try {
      reply = step.kind === "probe" ? await probe(session, step, opts) : await session.run(step, stepTimeout);
    } catch (e) {
      if (step.kind === "probe" && e instanceof FlashError && e.code === "ENOREPLY")
        throw new FlashError(
          "ENOREPLY",
          `no Espruino answered on ${link.name} (${describeSilence(session)}). Is Espruino flashed on the board ` +
            `(docs/flashing.md), is no other program (a terminal, the Espruino IDE) connected to it, and for serial, ` +
            `is it the board's port at ${115200} baud?`,
        );
      if (e instanceof FlashError && e.code === "ECLOSED")
        throw new FlashError(
          "ECLOSED",
          `${link.name} closed the connection during step ${step.seq} (${step.kind}${step.file ? " " + step.file : ""}, ` +
            `${written}/${total} bytes written): the board may have restarted (power, brownout, watchdog) or left the ` +
            `network. Run the same command again; until it completes the board may not start alertmail.`,
        );
      throw e;
    }
    if (!reply.ok) throw new FlashError("EWRITE", `step ${step.seq} (${step.kind}${step.file ? " " + step.file : ""}) failed on the board: ${reply.value}`);
    if (step.kind === "probe") {
      result.probe = reply.value as ProbeResult;
      const p = result.probe;
      opts.log?.(`connected to ${link.name}: Espruino ${p.version} on ${p.board}, ${p.free} bytes of Storage free`);
      checkProbe(p, files, link, !!opts.allowSim);
      if (isPcBuild(p.board)) opts.log?.(`--allow-sim: flashing a PC build of Espruino (${p.board}) for a test run`);
    } else if (step.kind === "compact") {
      if (reply.value === "compacted") opts.log?.("compacted Storage first, so the old code stays intact until the restart");
    } else if (step.kind === "write") {
      if (reply.value !== step.length)
        throw new FlashError("EWRITE", `${step.file}: the board decoded ${reply.value} bytes of a ${step.length}-byte chunk (line damaged on the way?)`);
      written += step.length!;
      opts.progress?.(written, total);
    } else if (step.kind === "verify") {
      const v = reply.value as { length: number; crc: number | null } | null;
      const f = byName.get(step.file!)!;
      if (!v || v.length !== f.data.length)
        throw new FlashError("EWRITE", `${f.name}: Storage holds ${v ? v.length : "no"} bytes after writing ${f.data.length}`);
      if (v.crc !== null && v.crc >>> 0 !== crc32(f.data))
        throw new FlashError("EWRITE", `${f.name}: the CRC32 of the stored file differs from what was sent`);
      opts.log?.(`${f.name}: ${f.data.length} bytes written and verified${v.crc !== null ? " (CRC32)" : ""}`);
    }
  }
}

async function reconnectAndCheck(opts: FlashOptions, seq: number): Promise<string> {
  opts.log?.(`the board closed the telnet connection while restarting; reconnecting to check it runs`);
  const deadline = Date.now() + (opts.bootTimeoutMs ?? 30000);
  let lastError: unknown;
  while (Date.now() < deadline) {
    let link: Link | undefined;
    try {
      link = await openLink(opts.port!);
      const session = openSession(link);
      await session.send(Buffer.from(CLEAR_LINE, "latin1"));
      await new Promise((r) => setTimeout(r, opts.settleMs ?? 250));
      const reply = await session.run(runningCheckStep(seq), opts.probeTimeoutMs ?? 5000);
      if (reply.ok && reply.value === "object") return "alertmail: ready (seen by reconnecting; the boot line went to the serial log)";
      throw new FlashError("EBOOT", `the board restarted but alertmail is not running (typeof alertmail is ${JSON.stringify(reply.value)}): watch its serial log (docs/flashing.md)`);
    } catch (e) {
      if (e instanceof FlashError && e.code === "EBOOT") throw e;
      lastError = e;
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      await link?.close();
    }
  }
  throw new FlashError(
    "EBOOT",
    `the files were written, but after the restart the board did not come back on ${opts.port} ` +
      `(${(lastError as Error)?.message ?? "timeout"}). Watch its serial log (docs/flashing.md).`,
  );
}

/** Flashes (or, with `out`, writes the byte stream to a file). Throws FlashError with a message for the user. */
export async function flashBoard(opts: FlashOptions): Promise<FlashResult> {
  const { files, steps } = await planFlash(opts);
  const stream = wireStream(steps);
  const result: FlashResult = { files: files.map((f) => ({ name: f.name, bytes: f.data.length })), wireBytes: stream.length };
  if (opts.out) {
    writeFileSync(opts.out, stream);
    return result;
  }
  if (!opts.port) throw new FlashError("ENOPORT", "no --port given (a serial device such as /dev/ttyUSB0, or tcp://IP)");
  const link = await openLink(opts.port);
  const session = openSession(link);
  try {
    await talk(session, link, files, steps, opts, result);
  } finally {
    await link.close();
  }
  return result;
}
