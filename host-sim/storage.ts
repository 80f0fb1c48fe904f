// require("Storage") backed by a folder on the PC (one file per Storage file, bytes as latin1), so
// it survives simulated reboots. Stricter than the board where the board corrupts silently: names
// over 28 characters throw (the board truncates them and may overwrite another file).
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
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
      writeBytes(name, data);
      return true;
    }
    const off = Number(offset);
    let file = readBytes(name);
    if (off === 0 && size !== undefined) {
      const total = Number(size);
      if (!(total > 0)) throw boardError("Error", "Can't create a zero-length file");
      file = Buffer.alloc(total, 0xff);
    }
    if (!file) throw boardError("Error", `Storage file "${name}" does not exist: give a size when writing at offset 0`);
    if (off < 0 || off + data.length > file.length) throw boardError("Error", "Too much data for file size");
    data.copy(file, off);
    writeBytes(name, file);
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
      eraseFile(fileFor(dir, checkName(name)));
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
