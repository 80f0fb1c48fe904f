// The board's timers: setTimeout/setInterval/changeInterval/clearTimeout/clearInterval with integer
// ids; clearTimeout(undefined) throws (espruino-features.txt row 441); clearTimeout() clears all.
// Ids are the board's (jsiTimerAdd): one more than the highest pending timer's, 1 when none is
// pending, and a firing timeout stays pending until its callback returns, so ids are reused.
// Espruino keeps each timer as time remaining and takes off how far the system clock moved at every
// idle pass (jsiIdle, jsinteractive.c), so when SNTP steps the clock from 1970 to today every pending
// timer is overdue at once: clockStepped() fires each setTimeout now, and each setInterval as jsiIdle
// does: once per idle pass (time + interval each time) until it has caught up with the step.
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
  /** Runs the timers that are due now, most overdue first: jsiIdle does this before it runs the
   * queued events of the same pass (so a setTimeout(0) runs before a then-callback queued with it). */
  runDue(): void;
}

interface Timer {
  handle: NodeJS.Timeout;
  interval: boolean;
  fn: () => void;
  ms: number;
  /** Host time it is next due (orders the timers a clock step fires). */
  due: number;
  /** handle is a setImmediate of a catch-up run (after a clock step), not a host timer. */
  catchingUp?: boolean;
}

/** Node's longest setTimeout (2^31 - 1 ms, 24.8 days); longer board timers wait in pieces. */
const MAX_HOST_MS = 0x7fffffff;
/** Catch-up runs of one interval the simulator makes after a clock step (the board makes them all). */
export const MAX_CATCH_UP_RUNS = 50;

export function createSimTimers(k: Kernel, note: (line: string) => void = () => {}): SimTimers {
  const timers = new Map<number, Timer>();
  /** jsiTimerAdd: jsvArrayAddToEnd(timers, t, 1) - 1. */
  const nextId = () => (timers.size ? Math.max(...timers.keys()) + 1 : 1);

  function toFn(fn: unknown, args: unknown[]): () => void {
    if (typeof fn === "string") {
      const code = fn;
      return () => k.call(() => k.realm.run(code, "timer"), []);
    }
    if (typeof fn !== "function") throw boardError("Error", "Function or String not supplied!");
    return () => k.call(fn as (...a: unknown[]) => unknown, args);
  }
  /** Starts (or restarts) board timer `id`: due one period from now. */
  function arm(id: number, t: Timer) {
    t.due = Date.now() + t.ms;
    schedule(id, t);
  }
  /** The host timer behind board timer `id`; waits beyond Node's 24.8-day limit are made in pieces. */
  function schedule(id: number, t: Timer) {
    t.catchingUp = false;
    const left = Math.max(0, t.due - Date.now());
    t.handle = setTimeout(() => {
      if (k.dead()) return;
      if (left > MAX_HOST_MS) return schedule(id, t);
      fire(id, t);
    }, Math.min(left, MAX_HOST_MS));
  }
  /** One run of a due timer, as jsiIdle makes it. */
  function fire(id: number, t: Timer) {
    stopHost(t);
    const handle = t.handle;
    t.fn();
    if (timers.get(id) !== t) return; // cleared by its own callback
    if (!t.interval) timers.delete(id); // removed after its callback (jsiIdle)
    else if (t.handle === handle) {
      // time = time + interval, as jsiIdle does (unless the callback called changeInterval)
      t.due += t.ms;
      schedule(id, t);
    }
  }
  function runDue() {
    const now = Date.now();
    const due = [...timers.entries()].filter(([, t]) => !t.catchingUp && t.due <= now).sort((a, b) => a[1].due - b[1].due);
    for (const [id, t] of due) {
      if (k.dead()) return;
      if (timers.get(id) === t && !t.catchingUp && t.due <= now) fire(id, t);
    }
  }
  function stopHost(t: Timer) {
    if (t.catchingUp) clearImmediate(t.handle as unknown as NodeJS.Immediate);
    else clearTimeout(t.handle);
    t.catchingUp = false;
  }
  function add(interval: boolean, fn: unknown, ms: unknown, args: unknown[]): number {
    const run = toFn(fn, args);
    const delay = Math.max(0, Number(ms) || 0);
    const id = nextId();
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
    const now = Date.now();
    const due = [...timers.entries()].filter(([, t]) => t.due <= now + stepMs).sort((a, b) => a[1].due - b[1].due);
    let fired = 0;
    for (const [id, t] of due) {
      if (k.dead()) break;
      if (timers.get(id) !== t) continue; // cleared by a callback that ran before it
      stopHost(t);
      fired++;
      if (!t.interval) {
        t.fn();
        if (timers.get(id) === t) timers.delete(id);
        continue;
      }
      // time = time + interval after each run: overdue again at the next pass until it has caught up.
      const runs = Math.floor((now + stepMs - t.due) / t.ms) + 1;
      if (runs > MAX_CATCH_UP_RUNS) {
        note(`SNTP clock step: setInterval #${id} (every ${t.ms} ms) is ${runs} periods behind; the board runs it once per idle pass until it catches up (${runs} times back to back), the simulator runs it ${MAX_CATCH_UP_RUNS} times`);
      }
      catchUp(id, t, Math.min(runs, MAX_CATCH_UP_RUNS));
    }
    return fired;
  }
  /** Runs interval `t` now and again at each following idle pass, n times in all, then re-arms it. */
  function catchUp(id: number, t: Timer, n: number) {
    t.fn();
    if (k.dead() || timers.get(id) !== t) return;
    if (n <= 1) return arm(id, t);
    t.handle = setImmediate(() => {
      if (!k.dead() && timers.get(id) === t) catchUp(id, t, n - 1);
    }) as unknown as NodeJS.Timeout;
    t.catchingUp = true;
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
    runDue,
  };
}
