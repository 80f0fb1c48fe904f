// The chip-level modules: E (boot code, watchdog, byte helpers, reboot, time zone), ESP32 (deep
// sleep, wake cause) and crypto (SHA digests), as Espruino 2v29 has them on the ESP32.
import { createHash, randomInt } from "node:crypto";
import type { Kernel } from "./kernel.ts";
import { toByteString } from "./storage.ts";

/** What the chip modules need from the simulated board. */
export interface ChipHooks {
  /** Writes .bootcde ("" erases it). */
  writeBootCode(code: string): void;
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

export function createChipModules(k: Kernel, h: ChipHooks): { E: Record<string, unknown>; ESP32: Record<string, unknown>; crypto: Record<string, unknown> } {
  const E = {
    setBootCode(code: unknown) {
      h.writeBootCode(toByteString(code));
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
