// The board's pins, driven by the simulator: setWatch (edge, debounce, repeat), clearWatch,
// digitalRead/Write, analogRead (0..1, ADC1 pins D32–D39 only), pinMode, and D0…D39 as globals.
import { boardError } from "./board-error.ts";
import type { Kernel } from "./kernel.ts";
import { hostClock, type ClockHandle } from "./timers.ts";

/** ESP32 GPIOs Espruino names D0…D39. */
export const PIN_COUNT = 40;
/** ADC1 channels (GPIO 32–39): the only analog inputs usable with WiFi on (ADC2 is shared with it). */
export const ADC_PINS = new Set(["D32", "D33", "D34", "D35", "D36", "D37", "D38", "D39"]);
const MODES = new Set(["analog", "input", "input_pullup", "input_pulldown", "output", "opendrain", "af_output", "af_opendrain", "opendrain_pullup", "auto"]);

/** Levels the outside world puts on pins; survives reboots (the wiring does). */
export interface PinWorld {
  /** External digital level per pin; undefined = nothing drives it (pull decides). */
  level: Map<string, boolean>;
  analog: Map<string, number>;
}

export function createPinWorld(): PinWorld {
  return { level: new Map(), analog: new Map() };
}

interface Watch {
  id: number;
  pin: string;
  fn: (...a: any[]) => unknown;
  edge: "rising" | "falling" | "both";
  debounce: number;
  repeat: boolean;
  /** Level last reported (after debounce). */
  reported: boolean;
  lastTime: number;
  timer: ClockHandle | null;
}

export interface SimPins {
  globals: Record<string, unknown>;
  /** Called by the simulator when the outside level changes. */
  changed(pin: string): void;
  read(pin: string): boolean;
  modes: Map<string, string>;
  outputs: Map<string, boolean>;
  watches(): { pin: string; edge: string; debounce: number; repeat: boolean }[];
  clearAll(): void;
}

export function pinName(p: unknown): string {
  const s = typeof p === "number" ? `D${p}` : String(p);
  const m = /^D(\d+)$/.exec(s);
  if (!m || Number(m[1]) >= PIN_COUNT) throw boardError("Error", `Invalid pin: ${s}`);
  return s;
}

export function createSimPins(k: Kernel, world: PinWorld): SimPins {
  const modes = new Map<string, string>();
  const outputs = new Map<string, boolean>();
  const watches = new Map<number, Watch>();
  let nextId = 1;

  function read(pin: string): boolean {
    const mode = modes.get(pin) ?? "input";
    if ((mode === "output" || mode === "opendrain") && outputs.has(pin)) return outputs.get(pin)!;
    const ext = world.level.get(pin);
    if (ext !== undefined) return ext;
    return mode === "input_pullup" || mode === "opendrain_pullup";
  }

  function fire(w: Watch, state: boolean) {
    if (w.reported === state) return;
    w.reported = state;
    if (w.edge === "rising" && !state) return;
    if (w.edge === "falling" && state) return;
    const time = k.time();
    const e = k.realm.toRealm({ state, time, lastTime: w.lastTime, pin: undefined as unknown });
    (e as { pin: unknown }).pin = pinObjects.get(w.pin);
    w.lastTime = time;
    if (!w.repeat) remove(w.id);
    k.defer(() => k.call(w.fn, [e]));
  }

  function changed(pin: string) {
    const level = read(pin);
    for (const w of watches.values()) {
      if (w.pin !== pin) continue;
      w.timer?.cancel();
      w.timer = null;
      if (w.debounce <= 0) fire(w, level);
      else {
        // Debounce: report the level once it has been stable for `debounce` ms.
        w.timer = (k.clock ?? hostClock()).after(w.debounce, () => {
          w.timer = null;
          if (!k.dead()) fire(w, read(pin));
        });
      }
    }
  }

  function remove(id: number) {
    const w = watches.get(id);
    w?.timer?.cancel();
    watches.delete(id);
  }

  const pinObjects = new Map<string, unknown>();
  const globals: Record<string, unknown> = {
    pinMode(p: unknown, mode: unknown) {
      const pin = pinName(p);
      if (mode === undefined) {
        modes.delete(pin);
        return;
      }
      if (typeof mode !== "string" || !MODES.has(mode)) throw boardError("Error", `Unknown pin mode "${String(mode)}"`);
      modes.set(pin, mode);
      changed(pin);
    },
    getPinMode(p: unknown) {
      return modes.get(pinName(p)) ?? "input";
    },
    digitalRead(p: unknown) {
      return read(pinName(p)) ? 1 : 0;
    },
    digitalWrite(p: unknown, v: unknown) {
      const pin = pinName(p);
      outputs.set(pin, !!v);
      if (!modes.has(pin)) modes.set(pin, "output");
    },
    analogRead(p: unknown) {
      const pin = pinName(p);
      if (!ADC_PINS.has(pin)) throw boardError("Error", `Pin ${pin} is not an ADC1 pin (use D32-D39)`);
      const v = world.analog.get(pin) ?? 0;
      return Math.round(Math.min(1, Math.max(0, v)) * 4095) / 4095; // 12-bit ADC
    },
    setWatch(fn: unknown, p: unknown, opts?: unknown) {
      if (typeof fn !== "function") throw boardError("Error", "Function or String not supplied!");
      const pin = pinName(p);
      let o: { repeat?: unknown; edge?: unknown; debounce?: unknown } = {};
      if (typeof opts === "object" && opts !== null) o = opts as typeof o;
      else if (opts !== undefined) o = { repeat: !!opts };
      const edge = o.edge === undefined ? "both" : o.edge === 1 ? "rising" : o.edge === -1 ? "falling" : String(o.edge);
      if (edge !== "rising" && edge !== "falling" && edge !== "both") throw boardError("Error", `Invalid edge "${edge}"`);
      const id = nextId++;
      watches.set(id, {
        id,
        pin,
        fn: fn as (...a: unknown[]) => unknown,
        edge,
        debounce: Math.max(0, Number(o.debounce ?? 0) || 0),
        repeat: !!o.repeat,
        reported: read(pin),
        lastTime: k.time(),
        timer: null,
      });
      return id;
    },
    clearWatch(...args: unknown[]) {
      if (args.length === 0) {
        for (const id of [...watches.keys()]) remove(id);
        return;
      }
      if (args[0] === undefined) throw boardError("Error", "clearWatch(undefined) not allowed. Use clearWatch() instead");
      remove(Number(args[0]));
    },
  };
  for (let i = 0; i < PIN_COUNT; i++) {
    const name = `D${i}`;
    const pin = k.realm.object({
      toString: () => name,
      read: () => (read(name) ? 1 : 0),
      write: (v: unknown) => (globals.digitalWrite as (p: unknown, v: unknown) => void)(name, v),
      set: () => (globals.digitalWrite as (p: unknown, v: unknown) => void)(name, 1),
      reset: () => (globals.digitalWrite as (p: unknown, v: unknown) => void)(name, 0),
      mode: (m: unknown) => (globals.pinMode as (p: unknown, m: unknown) => void)(name, m),
      getMode: () => modes.get(name) ?? "input",
    });
    pinObjects.set(name, pin);
    globals[name] = pin;
  }
  return {
    globals,
    changed,
    read,
    modes,
    outputs,
    watches: () => [...watches.values()].map((w) => ({ pin: w.pin, edge: w.edge, debounce: w.debounce, repeat: w.repeat })),
    clearAll() {
      for (const id of [...watches.keys()]) remove(id);
    },
  };
}
