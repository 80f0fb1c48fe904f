// The chip-level modules: E (boot code, watchdog, byte helpers, reboot, time zone), ESP32 (deep
// sleep, wake cause) and crypto (SHA digests), as Espruino 2v29 has them on the ESP32.
import { createHash, randomInt } from "node:crypto";
import type { Kernel } from "./kernel.ts";
import { toByteString } from "./storage.ts";

/** What the chip modules need from the simulated board. */
export interface ChipHooks {
  /** E.setBootCode: erases .bootcde and .bootrst, then writes the code to .bootrst if alwaysExec, else .bootcde. */
  writeBootCode(code: string, alwaysExec: boolean): void;
  /** A simulator note on the console ("sim: …"). */
  note(line: string): void;
  /** Restarts the chip (E.reboot, watchdog, ESP32.reboot); nothing more of this boot runs. */
  reboot(reason: string): void;
  /** Powers down for ms, then boots with wake cause "timer". */
  deepSleep(ms: number): void;
  wakeCause(): number;
  setTimeZoneMinutes(m: number): void;
  /** The hardware watchdog outlives the interpreter (a halted firmware still gets rebooted). */
  watchdog: { enable(ms: number): void; kick(): void };
  /** The context's Uint8Array (results get the board's prototypes). */
  Uint8Array: Uint8ArrayConstructor;
}

/** E.toString's arguments as one byte string: numbers are bytes, {data, count} repeats. */
export function byteArgs(args: unknown[]): string {
  return args
    .map((a) => {
      if (typeof a === "number") return String.fromCharCode(a & 255);
      if (a && typeof a === "object" && !ArrayBuffer.isView(a) && !Array.isArray(a) && "data" in (a as object)) {
        const o = a as { data: unknown; count?: number };
        return toByteString(o.data).repeat(o.count ?? 1);
      }
      return toByteString(a);
    })
    .join("");
}

/** Each element as a byte, as Espruino's iterator gives them to E.CRC32 (a non-iterable gives none). */
function iterBytes(data: unknown): string {
  if (typeof data === "number" || typeof data === "boolean") return "";
  if (data && typeof data === "object" && !ArrayBuffer.isView(data) && !Array.isArray(data) && Object.prototype.toString.call(data) !== "[object ArrayBuffer]") return "";
  return toByteString(data);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  return c >>> 0;
});

export function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const b of bytes) crc = CRC_TABLE[(crc ^ b) & 255]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

export function createChipModules(k: Kernel, h: ChipHooks): { E: Record<string, unknown>; ESP32: Record<string, unknown>; crypto: Record<string, unknown> } {
  const E = {
    setBootCode(code: unknown, alwaysExec?: unknown) {
      h.writeBootCode(toByteString(code), !!alwaysExec);
    },
    enableWatchdog(seconds: unknown, isAuto?: unknown) {
      // Espruino: isAuto undefined or true = kicked by the idle loop (only a hung interpreter trips it).
      if (isAuto === undefined || !!isAuto) {
        h.note("E.enableWatchdog(…) without isAuto=false: kicked by the idle loop, never expires in the simulator");
        return;
      }
      h.watchdog.enable(Math.max(1, Number(seconds) || 1) * 1000);
    },
    kickWatchdog() {
      h.watchdog.kick();
    },
    toString: (...args: unknown[]) => byteArgs(args),
    /** Standard CRC-32 (IEEE 802.3) of the bytes, as an unsigned integer (jswrap_espruino_CRC32). */
    CRC32: (data: unknown) => crc32(Buffer.from(iterBytes(data), "latin1")),
    toUint8Array: (...args: unknown[]) => new h.Uint8Array(Buffer.from(byteArgs(args), "latin1")),
    reboot() {
      h.reboot("E.reboot()");
    },
    getErrorFlags: () => k.realm.toRealm([]),
    getTemperature: () => 40,
    hwRand: () => randomInt(0, 2 ** 31),
    getAnalogVRef: () => 3.3,
    getSizeOf: () => 1,
    setTimeZone(hours: unknown) {
      h.setTimeZoneMinutes(Math.round((Number(hours) || 0) * 60));
    },
    setDST() {},
    setConsole() {},
    getConsole: () => "Serial1",
    srand() {},
    dumpStr: () => "",
    stopEventPropagation() {},
  };

  const ESP32 = {
    deepSleep(us: unknown) {
      h.deepSleep(Math.max(0, Number(us) || 0) / 1000);
    },
    getWakeupCause: () => h.wakeCause(),
    getState: () => k.realm.toRealm({ sdkVersion: "v4.4.8", cpuFrequency: 160, freeHeap: 80000, maxFreeHeap: 60000 }),
    reboot() {
      h.reboot("ESP32.reboot()");
    },
    enableBLE() {},
    enableWifi() {},
    setAtten() {},
    setBLE_Debug() {},
  };

  const crypto = Object.fromEntries(
    ["SHA1", "SHA224", "SHA256", "SHA384", "SHA512"].map((n) => [
      n,
      (data: unknown) => new h.Uint8Array(createHash(n.replace("SHA", "sha")).update(Buffer.from(toByteString(data), "latin1")).digest()).buffer,
    ]),
  );

  return { E, ESP32, crypto };
}
