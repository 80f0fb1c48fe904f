// require("Storage") backed by a folder on the PC (one file per Storage file, bytes as latin1), so
// it survives simulated reboots. Stricter than the board where the board corrupts silently: names
// over 28 characters throw (the board truncates them and may overwrite another file).
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { boardError } from "./board-error.ts";

/** Espruino's Storage file name limit (STORAGE_FILENAME_MAX… 28 chars on the ESP32). */
export const MAX_NAME = 28;
/** Bytes of header per file in Espruino's flash layout (JsfFileHeader: size, flags, name). */
const HEADER_BYTES = 32;
/** Default Storage area of the ESP32 build (boards/ESP32.py: 0x40000 bytes of flash for Storage). */
export const DEFAULT_STORAGE_BYTES = 0x40000;

export interface SimStorageOptions {
  dir: string;
  capacity?: number;
  /** Turns plain data into context objects (arrays with the board's prototypes). */
  toRealm?: <T>(v: T) => T;
  /** The context's Uint8Array/ArrayBuffer, so results have the board's prototypes. */
  Uint8Array?: Uint8ArrayConstructor;
  /** JSON.stringify of the context (non-ASCII as \u00XX like the board). */
  stringify?: (v: unknown) => string | undefined;
}

/**
 * Flash used per Storage folder, shared by every SimStorage of this process on that folder: the
 * cost of each host file, valid while the folder's mtime and number of files are the ones recorded
 * (a file created or deleted by anyone else changes them, and the table is read again). Stat-ing
 * every file at every write made an outbox of n files cost O(n) stats per write. A file of the
 * folder overwritten in place by another program is not noticed until the next create or delete.
 */
const usageByDir = new Map<string, { dirMtime: bigint; costs: Map<string, number>; total: number }>();
const costOf = (bytes: number) => HEADER_BYTES + Math.ceil(bytes / 4) * 4;

/** Converts what the firmware passes (string, typed array, array of bytes) to a byte string. */
export function toByteString(data: unknown): string {
  if (typeof data === "string") return data;
  if (data === undefined || data === null) return "";
  if (data instanceof ArrayBuffer || Object.prototype.toString.call(data) === "[object ArrayBuffer]") {
    return Buffer.from(new Uint8Array(data as ArrayBuffer)).toString("latin1");
  }
  if (ArrayBuffer.isView(data)) {
    const v = data as ArrayBufferView;
    return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("latin1");
  }
  if (Array.isArray(data)) return Buffer.from(data.map((n) => Number(n) & 255)).toString("latin1");
  return String(data);
}

/** Host file name for a Storage name (any byte can appear in a Storage name). */
function fileFor(dir: string, name: string): string {
  return join(dir, encodeURIComponent(name).replace(/^\./, "%2E").replace(/\*/g, "%2A"));
}

/**
 * Power cuts. On the board (jsflash.c) `Storage.write(name, data)` is up to three flash steps:
 * an existing file of that name is erased first (jsfEraseFileInternal zeroes the first word of its
 * name: a single word write), then jsfCreateFile writes the new header with the FULL size and the
 * name, and only then jsfWriteFile writes the data (jshFlashWriteAligned). Erased flash reads 0xFF,
 * so a cut between the header and the end of the data leaves a file of the full length whose tail
 * (or all of it) is 0xFF bytes; a cut after the erase of the old file and before the new header
 * leaves no file at all. `Storage.erase(name)` is that one word write: a cut leaves the file whole
 * or gone, never half. (Compaction, when the flash is full, moves files and is not modelled.)
 *
 * A test arms a cut for a Storage folder; the simulator counts the firmware's Storage writes and
 * erases in that folder (calls of `write` and `erase`, 1-based), and at the chosen point of the
 * chosen call leaves the flash as the board would, stops every later flash change of that boot and
 * calls onCut (which stops or reboots the board: nothing after a cut may reach the network either).
 */
export type CutPoint =
  /** Before the call changes anything. */
  | "before"
  /** A write over an existing file: the old file erased, the new header not written (no file). */
  | "after-erase"
  /** Header written, no data: the full length, every byte 0xFF. */
  | "after-header"
  /** Header and the first `tornBytes` of the data (default: half, rounded down to a word). */
  | "torn"
  /** Header and all the data but its last word: a full-length file ending in 0xFF bytes. */
  | "torn-tail";

export interface FlashOp {
  /** 1-based index among the armed folder's writes and erases. */
  n: number;
  kind: "write" | "erase";
  name: string;
  /** Bytes of the new file (write) or of the erased one (erase; 0 when there was none). */
  bytes: number;
  /** A write over an existing, different file (it has an "after-erase" point). */
  replaces: boolean;
  /** The file already held exactly these bytes: the board writes nothing. */
  same: boolean;
  /** The write makes the file (a header is written); false for a write at an offset into an existing file. */
  creates: boolean;
}

/** The cut points a flash op has (what a cut during it can leave). */
export function cutPointsOf(op: FlashOp): CutPoint[] {
  if (op.kind === "erase" || op.same) return ["before"];
  const torn: CutPoint[] = op.bytes > 4 ? ["torn", "torn-tail"] : ["torn"];
  if (!op.creates) return ["before", ...torn];
  return op.replaces ? ["before", "after-erase", "after-header", ...torn] : ["before", "after-header", ...torn];
}

export interface PowerCutPlan {
  /** Which write/erase (1-based) to cut; omit to only record the ops. */
  at?: number;
  point?: CutPoint;
  tornBytes?: number;
  /** Runs at the cut (stop the board there). */
  onCut?: (op: FlashOp) => void;
}

export interface PowerCutHandle {
  /** Every write and erase counted so far (the cut one included). */
  ops: FlashOp[];
  /** The op the cut landed in, once it happened. */
  cutAt: FlashOp | null;
  /** Stops counting (a later board on the folder writes normally). */
  disarm(): void;
}

const armed = new Map<string, { plan: PowerCutPlan; handle: PowerCutHandle }>();

/** Arms a power cut (or just an op recorder) for the Storage folder `dir`. */
export function armPowerCut(dir: string, plan: PowerCutPlan = {}): PowerCutHandle {
  const key = resolve(dir);
  const handle: PowerCutHandle = {
    ops: [],
    cutAt: null,
    disarm() {
      if (armed.get(key)?.handle === handle) armed.delete(key);
    },
  };
  armed.set(key, { plan, handle });
  return handle;
}

export interface SimStorage {
  /** The module object require("Storage") returns. */
  module: Record<string, unknown>;
  /** Host-side access for tests and the CLI. */
  readBytes(name: string): Buffer | undefined;
  writeBytes(name: string, data: Buffer): void;
  names(): string[];
  used(): number;
}

export function createSimStorage(opts: SimStorageOptions): SimStorage {
  const dir = opts.dir;
  const capacity = opts.capacity ?? DEFAULT_STORAGE_BYTES;
  const toRealm = opts.toRealm ?? (<T>(v: T) => v);
  const U8 = opts.Uint8Array ?? Uint8Array;
  const stringify = opts.stringify ?? JSON.stringify;
  mkdirSync(dir, { recursive: true });

  function checkName(name: unknown): string {
    if (typeof name !== "string") throw boardError("TypeError", "Expecting a String for the file name");
    if (name.length === 0) throw boardError("Error", "Invalid Storage file name");
    if (name.length > MAX_NAME) {
      throw boardError("Error", `Storage file name "${name}" is ${name.length} chars: over ${MAX_NAME} (the board would truncate it)`);
    }
    return name;
  }
  function names(): string[] {
    return readdirSync(dir).map((f) => decodeURIComponent(f)).sort();
  }
  function readBytes(name: string): Buffer | undefined {
    const f = fileFor(dir, name);
    return existsSync(f) ? readFileSync(f) : undefined;
  }
  /** The folder's usage table, read again when the folder changed behind this process's back. */
  function usage() {
    const mtime = statSync(dir, { bigint: true }).mtimeNs;
    let u = usageByDir.get(dir);
    // The entry count too: where the clock behind mtime is coarse, a change can keep the same mtime.
    if (!u || u.dirMtime !== mtime || readdirSync(dir).length !== u.costs.size) {
      const costs = new Map<string, number>();
      let total = 0;
      for (const f of readdirSync(dir)) {
        const c = costOf(statSync(join(dir, f)).size);
        costs.set(f, c);
        total += c;
      }
      u = { dirMtime: mtime, costs, total };
      usageByDir.set(dir, u);
    }
    return u;
  }
  /** Records a file this process just wrote (bytes) or deleted (null) in a table validated just before. */
  function changed(u: ReturnType<typeof usage>, file: string, bytes: number | null) {
    const key = basename(file);
    u.total -= u.costs.get(key) ?? 0;
    if (bytes == null) u.costs.delete(key);
    else {
      u.costs.set(key, costOf(bytes));
      u.total += costOf(bytes);
    }
    u.dirMtime = statSync(dir, { bigint: true }).mtimeNs;
  }
  function used(): number {
    return usage().total;
  }
  function writeBytes(name: string, data: Buffer) {
    const f = fileFor(dir, name);
    const u = usage();
    const oldCost = u.costs.get(basename(f)) ?? 0;
    if (u.total - oldCost + HEADER_BYTES + data.length > capacity) throw boardError("Error", "Not enough free space in Storage");
    writeFileSync(f, data);
    changed(u, f, data.length);
  }
  function eraseFile(f: string) {
    const u = usage();
    if (existsSync(f)) unlinkSync(f);
    changed(u, f, null);
  }

  /** Storage.write(name, data, offset, size) — offset/size write into a file of fixed size (filled with 0xFF). */
  function write(nameArg: unknown, dataArg: unknown, offset?: unknown, size?: unknown): boolean {
    const name = checkName(nameArg);
    const data = Buffer.from(toByteString(dataArg), "latin1");
    if (offset === undefined || offset === null) {
      if (data.length === 0) throw boardError("Error", "Can't create a zero-length file");
      if (dead) return true;
      const old = readBytes(name);
      if (cutHere("write", name, old, data, true, 0, data.length)) return true;
      writeBytes(name, data);
      return true;
    }
    const off = Number(offset);
    let file = readBytes(name);
    let created = false;
    if (off === 0 && size !== undefined) {
      const total = Number(size);
      if (!(total > 0)) throw boardError("Error", "Can't create a zero-length file");
      created = true;
      file = Buffer.alloc(total, 0xff);
    }
    if (!file) throw boardError("Error", `Storage file "${name}" does not exist: give a size when writing at offset 0`);
    if (off < 0 || off + data.length > file.length) throw boardError("Error", "Too much data for file size");
    if (dead) return true;
    const old = readBytes(name);
    const next = Buffer.from(file);
    data.copy(next, off);
    // Writing into a file made earlier (offset > 0) erases nothing and writes no header.
    if (cutHere("write", name, old, next, created, off, off + data.length)) return true;
    writeBytes(name, next);
    return true;
  }

  /** This boot's flash is gone (a power cut happened in it): later writes and erases do nothing. */
  let dead = false;
  /**
   * Counts a write or erase of the armed folder and, when the cut falls in it, leaves the flash as
   * the board would (see CutPoint) and returns true: the caller then changes nothing more.
   * creates: the write makes the file anew (old one erased, header first); else it writes into an
   * existing file. full: the file's bytes once complete; [from, to): what this call writes.
   */
  function cutHere(kind: "write" | "erase", name: string, old: Buffer | undefined, full?: Buffer, creates = true, from = 0, to = 0): boolean {
    const a = armed.get(resolve(dir));
    if (!a) return false;
    const same = kind === "write" && old !== undefined && full !== undefined && old.equals(full);
    const op: FlashOp = { n: a.handle.ops.length + 1, kind, name, bytes: kind === "erase" ? (old?.length ?? 0) : (full?.length ?? 0), replaces: kind === "write" && creates && old !== undefined && !same, same, creates: kind === "write" && creates };
    a.handle.ops.push(op);
    if (a.plan.at !== op.n) return false;
    const point = a.plan.point ?? "before";
    if (kind === "write" && full && !same && point !== "before") {
      if (op.replaces) eraseFile(fileFor(dir, name)); // the old file goes first
      if (point !== "after-erase") {
        // The header (full size) if the call makes the file, then part of this call's data; erased flash reads 0xFF.
        const len = to - from;
        const keep = point === "torn" ? Math.min(len, a.plan.tornBytes ?? Math.floor(len / 8) * 4) : point === "torn-tail" ? Math.max(0, Math.ceil(len / 4) * 4 - 4) : 0;
        const base = creates ? Buffer.alloc(full.length, 0xff) : Buffer.from(old ?? full);
        full.copy(base, from, from, from + keep);
        if (creates || keep > 0) writeBytes(name, base);
      }
    }
    dead = true;
    a.handle.cutAt = op;
    armed.delete(resolve(dir));
    a.plan.onCut?.(op);
    return true;
  }

  function read(nameArg: unknown, offset?: unknown, length?: unknown): string | undefined {
    const b = readBytes(checkName(nameArg));
    if (!b) return undefined;
    const off = offset === undefined ? 0 : Number(offset);
    const end = length === undefined ? b.length : off + Number(length);
    return b.subarray(off, end).toString("latin1");
  }

  function list(filter?: unknown): string[] {
    let out = names();
    if (filter instanceof RegExp || Object.prototype.toString.call(filter) === "[object RegExp]") {
      const re = filter as RegExp;
      out = out.filter((n) => {
        re.lastIndex = 0;
        return re.test(n);
      });
    } else if (typeof filter === "string") {
      out = out.filter((n) => n.includes(filter));
    }
    return toRealm(out);
  }

  /** StorageFile (open): appendable text in chunks; kept as one host file named NAME\x01 like the board's first chunk. */
  function open(nameArg: unknown, mode: unknown) {
    const name = checkName(nameArg);
    if (name.length > MAX_NAME - 1) throw boardError("Error", "StorageFile name too long (max 27 chars)");
    const chunk = name + "\u0001";
    if (mode !== "r" && mode !== "w" && mode !== "a") throw boardError("Error", 'Invalid mode: "r", "w" or "a"');
    if (mode === "w") {
      eraseFile(fileFor(dir, chunk));
    }
    let pos = 0;
    const content = () => (readBytes(chunk) ?? Buffer.alloc(0)).toString("latin1");
    return {
      name,
      mode,
      read(len: number): string | undefined {
        const c = content();
        if (pos >= c.length) return undefined;
        const s = c.slice(pos, pos + len);
        pos += s.length;
        return s;
      },
      readLine(): string | undefined {
        const c = content();
        if (pos >= c.length) return undefined;
        const nl = c.indexOf("\n", pos);
        const end = nl < 0 ? c.length : nl + 1;
        const s = c.slice(pos, end);
        pos = end;
        return s;
      },
      write(data: unknown) {
        if (mode === "r") throw boardError("Error", "Can't write in read mode");
        const s = toByteString(data);
        if (s.length === 0) return;
        writeBytes(chunk, Buffer.from(content() + s, "latin1"));
      },
      getLength(): number {
        return content().length;
      },
      erase() {
        eraseFile(fileFor(dir, chunk));
      },
    };
  }

  const module: Record<string, unknown> = {
    write,
    read,
    readJSON(name: unknown, noExceptions?: unknown) {
      const s = read(name);
      if (s === undefined) return undefined;
      try {
        return toRealm(JSON.parse(s));
      } catch (e) {
        if (noExceptions) return undefined;
        throw boardError("SyntaxError", `Invalid JSON in Storage file "${String(name)}"`);
      }
    },
    readArrayBuffer(name: unknown) {
      const b = readBytes(checkName(name));
      if (!b) return undefined;
      return new U8(b).buffer;
    },
    writeJSON(name: unknown, obj: unknown) {
      const s = stringify(obj);
      return write(name, s === undefined ? "undefined" : s);
    },
    list,
    erase(name: unknown) {
      const n = checkName(name);
      if (dead) return;
      // One word write (the name's first bytes zeroed): a cut leaves the file whole or gone.
      if (cutHere("erase", n, readBytes(n))) return;
      eraseFile(fileFor(dir, n));
    },
    eraseAll() {
      for (const f of readdirSync(dir)) eraseFile(join(dir, f));
    },
    getFree() {
      return capacity - used();
    },
    getStats() {
      return toRealm({ totalBytes: capacity, fileBytes: used(), fileCount: names().length, freeBytes: capacity - used(), trashBytes: 0, trashCount: 0 });
    },
    compact() {},
    debug() {},
    open,
  };
  return { module, readBytes, writeBytes, names, used };
}
