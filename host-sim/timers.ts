// The board's timers: setTimeout/setInterval/changeInterval/clearTimeout/clearInterval with integer
// ids; clearTimeout(undefined) throws (espruino-features.txt row 441); clearTimeout() clears all.
// Espruino keeps each timer as time remaining and takes off how far the system clock moved at every
// idle pass (jsiIdle, jsinteractive.c), so when SNTP steps the clock from 1970 to today every pending
// timer is overdue at once: clockStepped() fires each setTimeout now and each setInterval once.
import { boardError } from "./board-error.ts";
import type { Kernel } from "./kernel.ts";

export interface SimTimers {
  globals: Record<string, (...a: any[]) => unknown>;
  /** Cancels every timer (reboot/stop). */
  clearAll(): void;
  /** Number of timers pending. */
  pending(): number;
  /** The system clock jumped forward by stepMs (SNTP): every timer due within the step fires now,
   * intervals once. Returns how many fired. */
  clockStepped(stepMs: number): number;
}

interface Timer {
  handle: NodeJS.Timeout;
  interval: boolean;
  fn: () => void;
  ms: number;
  /** Host time it is next due (orders the timers a clock step fires). */
  due: number;
}

export function createSimTimers(k: Kernel): SimTimers {
  let nextId = 1;
  const timers = new Map<number, Timer>();

  function toFn(fn: unknown, args: unknown[]): () => void {
    if (typeof fn === "string") {
      const code = fn;
      return () => k.call(() => k.realm.run(code, "timer"), []);
    }
    if (typeof fn !== "function") throw boardError("Error", "Function or String not supplied!");
    return () => k.call(fn as (...a: unknown[]) => unknown, args);
  }
  /** Starts (or restarts) the host timer behind board timer `id`. */
  function arm(id: number, t: Timer) {
    if (t.interval) {
      t.handle = setInterval(() => {
        if (k.dead()) return;
        t.due = Date.now() + t.ms;
        t.fn();
      }, t.ms);
    } else {
      t.handle = setTimeout(() => {
        if (k.dead()) return;
        timers.delete(id);
        t.fn();
      }, t.ms);
    }
    t.due = Date.now() + t.ms;
  }
  function stopHost(t: Timer) {
    if (t.interval) clearInterval(t.handle);
    else clearTimeout(t.handle);
  }
  function add(interval: boolean, fn: unknown, ms: unknown, args: unknown[]): number {
    const run = toFn(fn, args);
    const delay = Math.max(0, Number(ms) || 0);
    const id = nextId++;
    const t: Timer = { handle: undefined as unknown as NodeJS.Timeout, interval, fn: run, ms: interval ? Math.max(1, delay) : delay, due: 0 };
    arm(id, t);
    timers.set(id, t);
    return id;
  }
  function clear(kind: "clearTimeout" | "clearInterval", args: unknown[]) {
    if (args.length === 0) {
      clearAll();
      return;
    }
    const id = args[0];
    if (id === undefined) throw boardError("Error", `${kind}(undefined) not allowed. Use ${kind}() instead`);
    const t = timers.get(Number(id));
    if (!t) return;
    stopHost(t);
    timers.delete(Number(id));
  }
  function clearAll() {
    for (const t of timers.values()) stopHost(t);
    timers.clear();
  }
  function clockStepped(stepMs: number): number {
    // In due order, as jsiIdle runs the most overdue first; timers made by these callbacks are not due.
    const limit = Date.now() + stepMs;
    const due = [...timers.entries()].filter(([, t]) => t.due <= limit).sort((a, b) => a[1].due - b[1].due);
    let fired = 0;
    for (const [id, t] of due) {
      if (k.dead()) break;
      if (timers.get(id) !== t) continue; // cleared by a callback that ran before it
      stopHost(t);
      if (t.interval) arm(id, t);
      else timers.delete(id);
      fired++;
      t.fn();
    }
    return fired;
  }

  return {
    globals: {
      setTimeout: (fn: unknown, ms?: unknown, ...args: unknown[]) => add(false, fn, ms, args),
      setInterval: (fn: unknown, ms?: unknown, ...args: unknown[]) => add(true, fn, ms, args),
      clearTimeout: (...args: unknown[]) => clear("clearTimeout", args),
      clearInterval: (...args: unknown[]) => clear("clearInterval", args),
      changeInterval: (id: unknown, ms: unknown) => {
        const t = timers.get(Number(id));
        if (!t || !t.interval) throw boardError("Error", "Unknown Interval");
        stopHost(t);
        t.ms = Math.max(1, Number(ms) || 0);
        arm(Number(id), t);
      },
    },
    clearAll,
    pending: () => timers.size,
    clockStepped,
  };
}
