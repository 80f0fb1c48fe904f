// A minimal stand-in for an Espruino interpreter (vm context, Storage in a Map) to test the console protocol alone.
import { createContext, runInContext, type Context } from "node:vm";
import { crc32 } from "node:zlib";

export interface FakeEspruino {
  storage: Map<string, string>;
  /** Bytes of replaced files not yet reclaimed; compact() frees them. */
  trash: number;
  compactions: number;
  output: string[];
  boots: number;
  eval(code: string): unknown;
  reboot(): void;
}

/** `env` overrides process.env; `storageBytes` is the Storage size getFree() counts down from. */
export function createFakeEspruino(
  opts: {
    env?: Record<string, string>;
    storageBytes?: number;
    crc?: boolean;
    /** flip one bit of each write at offset > 0 */
    damage?: boolean;
    /** Storage.getStats and compact, with this much trash to start with */
    trash?: number;
  } = {},
): FakeEspruino {
  const storage = new Map<string, string>();
  const output: string[] = [];
  const size = opts.storageBytes ?? 65536;
  let ctx: Context;
  const used = () => [...storage.values()].reduce((n, d) => n + d.length + 32, 0) + fake.trash;
  const Storage = {
    write(name: string, data: string, offset?: number, total?: number) {
      if (name.length > 28) throw new Error("name too long");
      if (offset === undefined || (offset === 0 && total !== undefined)) {
        const len = total ?? data.length;
        storage.delete(name);
        if (used() + len + 32 > size) throw new Error("Not enough free space in Storage");
        storage.set(name, data.padEnd(len, "\xff"));
        if (total === undefined) return true;
      }
      const old = storage.get(name);
      if (old === undefined) return false;
      const start = offset ?? 0;
      if (opts.damage && start > 0) data = String.fromCharCode(data.charCodeAt(0) ^ 1) + data.slice(1);
      storage.set(name, old.slice(0, start) + data + old.slice(start + data.length));
      return true;
    },
    read: (name: string) => storage.get(name),
    getFree: () => Math.max(0, size - used()),
    ...(opts.trash === undefined
      ? {}
      : {
          getStats: () => ({ freeBytes: Math.max(0, size - used()), trashBytes: fake.trash }),
          compact: () => {
            fake.trash = 0;
            fake.compactions++;
          },
        }),
    list: () => [...storage.keys()],
    erase: (name: string) => void storage.delete(name),
  };
  const fake: FakeEspruino = {
    storage,
    trash: opts.trash ?? 0,
    compactions: 0,
    output,
    boots: 0,
    eval: (code) => runInContext(code, ctx),
    reboot() {
      fake.boots++;
      ctx = createContext({
        console: { log: (...a: unknown[]) => output.push(a.map(String).join(" ")) },
        require: (m: string) => {
          if (m === "Storage") return Storage;
          throw new Error(`Module ${m} not found`);
        },
        process: { env: { BOARD: "ESP32", VERSION: "2v29", MODULES: "Flash,Storage,net,tls,crypto,Wifi,ESP32", ...opts.env } },
        atob: (s: string) => Buffer.from(s, "base64").toString("latin1"),
        btoa: (s: string) => Buffer.from(s, "latin1").toString("base64"),
        E: opts.crc ? { CRC32: (s: string) => crc32(Buffer.from(s, "latin1")) } : {},
        JSON,
      });
      const code = storage.get(".bootcde");
      if (code !== undefined) runInContext(code, ctx);
    },
  };
  fake.reboot();
  fake.boots = 0;
  return fake;
}
