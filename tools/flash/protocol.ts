// The console line protocol `npm run flash` speaks to Espruino: one JS line per step, each printing a reply line.
//
// Every step is ONE console line: "\x10" (echo off for this line, so the board prints nothing but what
// the line prints) + a statement wrapped in try/catch that prints `@am <seq> ok <json>` or
// `@am <seq> err <json>`. The "@"+"am" split keeps an echoed command from looking like a reply.
// The same bytes go to a serial port, a telnet console or an --out file.
import { BOOT_FILE, type StorageFile } from "./payload.ts";

/** Raw bytes per Storage.write line: 512 base64 characters, what the espruino tools send (core/utils.js). */
export const DEFAULT_CHUNK_BYTES = 384;
/** Ctrl-C: clears whatever half-typed line the console holds. */
export const CLEAR_LINE = "\x03";
/** Espruino's "no echo for this line" prefix (DLE). */
export const ECHO_OFF = "\x10";
/** Storage file-header bytes per file, an upper bound for the free-space check (jsflash.c: 32-byte header). */
export const STORAGE_OVERHEAD_PER_FILE = 64;

export type StepKind = "probe" | "compact" | "write" | "verify" | "restart";

export interface Step {
  seq: number;
  kind: StepKind;
  /** The exact console line, "\x10…\n". */
  line: string;
  /** For writes: the file and how many of its bytes are written once this step succeeds. */
  file?: string;
  offset?: number;
  length?: number;
  total?: number;
}

export interface Reply {
  seq: number;
  ok: boolean;
  value: unknown;
}

/** What the probe step reports. */
export interface ProbeResult {
  board: string;
  version: string;
  modules: string;
  /** Bytes a write can use: free plus reclaimable (trash) space, from Storage.getStats or getFree. */
  free: number;
  /** Current sizes of the files about to be replaced (their space is freed by the rewrite). */
  sizes: Record<string, number>;
}

/** One console line running `body` (statements ending in a return) in a function, so nothing leaks into globals. */
function wrap(seq: number, body: string): string {
  return (
    `${ECHO_OFF}(function(t){try{t+="ok "+JSON.stringify((function(){${body}})())}` +
    `catch(e){t+="err "+JSON.stringify(""+e)}console.log(t)})("@"+"am ${seq} ")\n`
  );
}

function probeStep(seq: number, names: string[]): Step {
  const sizes = names.map((n) => `${JSON.stringify(n)}:(S.read(${JSON.stringify(n)})||"").length`).join(",");
  const body =
    `var S=require("Storage"),t=S.getStats&&S.getStats();` +
    `return {board:process.env.BOARD,version:process.env.VERSION,modules:process.env.MODULES||"",` +
    `free:t?t.freeBytes+t.trashBytes:S.getFree(),sizes:{${sizes}}}`;
  return { seq, kind: "probe", line: wrap(seq, body) };
}

/**
 * Compacts Storage first when the new files would not fit in the free space at its end. Writing
 * turns the old .bootcde into trash that the running firmware still executes from (function bodies
 * stay in flash); a compaction in the middle of the writes would erase it under the running code,
 * while a compaction now moves the live file and Espruino re-points the code at it
 * (jsvUpdateMemoryAddress). The board decides, so the bytes sent never depend on the probe.
 */
function compactStep(seq: number, files: StorageFile[]): Step {
  const need = files.reduce((n, f) => n + f.data.length + STORAGE_OVERHEAD_PER_FILE, 0);
  const body =
    `var S=require("Storage"),t=S.getStats&&S.getStats();` +
    `if(t&&t.freeBytes<${need}&&S.compact){S.compact();return "compacted"}return "not needed"`;
  return { seq, kind: "compact", line: wrap(seq, body) };
}

function writeSteps(first: number, file: StorageFile, chunkBytes: number): Step[] {
  const steps: Step[] = [];
  const name = JSON.stringify(file.name);
  const total = file.data.length;
  for (let offset = 0, seq = first; offset < total; offset += chunkBytes, seq++) {
    const part = file.data.subarray(offset, offset + chunkBytes);
    const b64 = JSON.stringify(part.toString("base64"));
    const sizeArg = offset === 0 ? `,${total}` : "";
    // Storage.write(name, data, offset, totalSize): the first chunk creates the file at its full size.
    const body =
      `var d=atob(${b64});` +
      `if(require("Storage").write(${name},d,${offset}${sizeArg})===false)throw "Storage.write failed";` +
      `return d.length`;
    steps.push({ seq, kind: "write", line: wrap(seq, body), file: file.name, offset, length: part.length, total });
  }
  return steps;
}

function verifyStep(seq: number, file: StorageFile): Step {
  const name = JSON.stringify(file.name);
  const body =
    `var d=require("Storage").read(${name});` +
    `return d===undefined?null:{length:d.length,crc:E.CRC32?E.CRC32(d):null}`;
  return { seq, kind: "verify", line: wrap(seq, body), file: file.name, total: file.data.length };
}

/**
 * Every step of one flash, in order: probe, the writes of each file, a verify per file, then
 * `load()`, which restarts the interpreter and runs `.bootcde` from Storage (the chip, its WiFi and a
 * telnet session stay up, unlike E.reboot(), so the boot line comes back on serial and on tcp alike).
 */
export function flashSteps(files: StorageFile[], chunkBytes = DEFAULT_CHUNK_BYTES): Step[] {
  // The probe also reports the code's size, so --config-only can refuse a board with no code to restart.
  const names = files.map((f) => f.name);
  if (!names.includes(BOOT_FILE)) names.push(BOOT_FILE);
  const steps: Step[] = [probeStep(1, names), compactStep(2, files)];
  for (const file of files) {
    if (file.data.length === 0) throw new Error(`${file.name}: empty file (Storage refuses zero-length writes)`);
    if (file.name.length > 28) throw new Error(`${file.name}: Storage names are at most 28 characters`);
    steps.push(...writeSteps(steps.length + 1, file, chunkBytes));
    steps.push(verifyStep(steps.length + 1, file));
  }
  steps.push({ seq: steps.length + 1, kind: "restart", line: `${ECHO_OFF}load()\n` });
  return steps;
}

/** Asks whether the firmware's `alertmail` global exists (after a reconnect, when the boot line was missed). */
export function runningCheckStep(seq: number): Step {
  return { seq, kind: "probe", line: wrap(seq, `return typeof alertmail`) };
}

/** The whole byte stream of a flash, exactly as it goes down the wire (and into --out). */
export function wireStream(steps: Step[]): Buffer {
  return Buffer.from(CLEAR_LINE + steps.map((s) => s.line).join(""), "latin1");
}

const REPLY = /@am (\d+) (ok|err) ([^\r\n]*)/;

/** Parses one console output line; null when it is not a reply (firmware logs, prompts, echoes). */
export function parseReply(line: string): Reply | null {
  const m = REPLY.exec(line);
  if (!m) return null;
  let value: unknown;
  try {
    value = JSON.parse(m[3]!);
  } catch {
    return null;
  }
  return { seq: Number(m[1]), ok: m[2] === "ok", value };
}

/** CRC-32 as Espruino's E.CRC32 computes it (IEEE 802.3, the zlib one). */
export function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** Bytes the files need in Storage, beyond what replacing the existing copies frees. */
export function bytesNeeded(files: StorageFile[], probe: ProbeResult): number {
  let need = 0;
  for (const f of files) need += f.data.length + STORAGE_OVERHEAD_PER_FILE - (probe.sizes[f.name] ?? 0);
  return need;
}
