// The board's timers: setTimeout/setInterval/changeInterval/clearTimeout/clearInterval with integer
// ids; clearTimeout(undefined) throws (docs/espruino.md probe 441); clearTimeout() clears all.
// Ids are the board's (jsiTimerAdd): one more than the highest pending timer's, 1 when none is
// pending, and a firing timeout stays pending until its callback returns, so ids are reused.
// Espruino keeps each timer as time remaining and takes off how far the system clock moved at every
// idle pass (jsiIdle, jsinteractive.c), so when SNTP steps the clock from 1970 to today every pending
// timer is overdue at once: clockStepped() fires each setTimeout now, and each setInterval as jsiIdle
// does: once per idle pass (time + interval each time) until it has caught up with the step.
//
// Every wait of the simulated board (these timers, WiFi association, pin debounce, SNTP, watchdog,
// deep sleep, scenario events) is a deadline on one SimClock. With fastForward the clock may jump:
// when the board has no socket open (nothing outside the simulation can answer) and nothing ran for
// QUIET_MS, it moves straight to the earliest deadline. Deadlines still fire in time order and a
// timer's callback still sees the time it was due, so ordering is the same as in real time; only the
// idle stretches between them take no host time (a day of hourly heartbeats runs in seconds).
import { boardError } from "./board-error.ts";
import type { Kernel } from "./kernel.ts";

/** A deadline on the board clock; cancel() is idempotent. */
export interface ClockHandle {
  cancel(): void;
}

export interface SimClock {
  /** The board's monotonic time base in ms: host time plus every jump made so far. */
  now(): number;
  /** Calls fn once now() reaches t (deadlines due at the same t run in the order they were made). */
  at(t: number, fn: () => void): ClockHandle;
  /** at(now() + ms, fn). */
  after(ms: number, fn: () => void): ClockHandle;
  /** Resolves after ms of board time (a scenario step, a settle wait). */
  sleep(ms: number): Promise<void>;
  /** ms the clock has jumped in all (0 without fastForward). */
  readonly skippedMs: number;
  /** Number of jumps made. */
  readonly jumps: number;
}

export interface SimClockOptions {
  /** Jump over idle stretches (default false: the clock is the host clock). */
  fastForward?: boolean;
  /** Whether a jump is allowed now (no socket open, no idle-loop event queued); checked after QUIET_MS of
   * nothing scheduled, or at the next idle turn right after a jump. */
  quiet?: () => boolean;
}

/** Host ms with nothing due before the clock may jump: long enough for queued idle-loop events and socket callbacks to run. */
export const QUIET_MS = 20;
/** Idle turns the clock waits, right after a jump, for the board to be quiet again before it falls back to QUIET_MS. */
const MAX_CHAIN = 50;

export function createSimClock(opts: SimClockOptions = {}): SimClock {
  let skipped = 0;
  let jumps = 0;
  let seq = 0;
  const now = () => Date.now() + skipped;
  type Deadline = { t: number; seq: number; fn: () => void; done: boolean };
  const pending: Deadline[] = [];
  /** The one host timer (or, right after a jump, an immediate) that wakes the clock. */
  let host: { cancel(): void } | null = null;
  let hostAt = Infinity;
  /** Looks made in a row since the last jump: while the board stays quiet the clock jumps again at the next idle turn. */
  let chain = 0;
  /** Host time something was last scheduled or fired: a jump waits for QUIET_MS of nothing. */
  let lastActive = Date.now();

  /** Runs every deadline that is due, earliest first; deadlines they make run too if due. */
  function runDue() {
    for (;;) {
      const t = now();
      let best = -1;
      for (let i = 0; i < pending.length; i++) {
        const d = pending[i];
        if (d.t <= t && (best < 0 || d.t < pending[best].t || (d.t === pending[best].t && d.seq < pending[best].seq))) best = i;
      }
      if (best < 0) break;
      const [d] = pending.splice(best, 1);
      d.done = true;
      lastActive = Date.now();
      d.fn();
    }
  }
  function earliest(): number {
    let m = Infinity;
    for (const d of pending) if (d.t < m) m = d.t;
    return m;
  }
  /** (Re)arms the one host timer: at the earliest deadline, or after QUIET_MS to see whether the clock may jump. */
  function rearm() {
    const next = earliest();
    if (next === Infinity) {
      host?.cancel();
      host = null;
      hostAt = Infinity;
      return;
    }
    let wait = Math.max(0, next - now());
    if (opts.fastForward && wait > QUIET_MS) wait = QUIET_MS;
    wait = Math.min(wait, MAX_HOST_MS);
    const at = Date.now() + wait;
    if (host && hostAt <= at) return;
    host?.cancel();
    hostAt = at;
    const h = setTimeout(wake, wait);
    host = { cancel: () => clearTimeout(h) };
  }
  /** Looks again at the next turn of the host's event loop, after the idle-loop events queued so far. */
  function soon() {
    host?.cancel();
    hostAt = -Infinity;
    const h = setImmediate(wake);
    host = { cancel: () => clearImmediate(h) };
  }
  function wake() {
    host = null;
    hostAt = Infinity;
    const next = earliest();
    const canJump = opts.fastForward && next !== Infinity && next > now();
    if (canJump && (chain > 0 || Date.now() - lastActive >= QUIET_MS)) {
      if (opts.quiet?.() ?? true) {
        skipped += next - now();
        jumps++;
        runDue();
        chain = 1;
        return soon();
      }
      // Events the last deadlines queued are still running: look again soon, for a while.
      if (chain > 0 && chain < MAX_CHAIN) {
        chain++;
        return soon();
      }
    }
    chain = 0;
    runDue();
    rearm();
  }
  function at(t: number, fn: () => void): ClockHandle {
    const d: Deadline = { t, seq: seq++, fn, done: false };
    pending.push(d);
    lastActive = Date.now();
    rearm();
    return {
      cancel() {
        if (d.done) return;
        d.done = true;
        const i = pending.indexOf(d);
        if (i >= 0) pending.splice(i, 1);
      },
    };
  }
  return {
    now,
    at,
    after: (ms, fn) => at(now() + Math.max(0, ms), fn),
    sleep: (ms) => new Promise((resolve) => void at(now() + Math.max(0, ms), resolve)),
    get skippedMs() {
      return skipped;
    },
    get jumps() {
      return jumps;
    },
  };
}

/** The host clock: no jumps (what a board made without a clock uses). */
export const hostClock = (): SimClock => createSimClock();

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
  /** The clock deadline, or (catchingUp) a setImmediate of a catch-up run. */
  handle: ClockHandle | NodeJS.Immediate;
  interval: boolean;
  fn: () => void;
  ms: number;
  /** Host time it is next due (orders the timers a clock step fires). */
  due: number;
  /** handle is a setImmediate of a catch-up run (after a clock step), not a clock deadline. */
  catchingUp?: boolean;
}

/** Node's longest setTimeout (2^31 - 1 ms, 24.8 days); the clock waits longer in pieces. */
const MAX_HOST_MS = 0x7fffffff;
/** Catch-up runs of one interval the simulator makes after a clock step (the board makes them all). */
export const MAX_CATCH_UP_RUNS = 50;

export function createSimTimers(k: Kernel, note: (line: string) => void = () => {}, clock: SimClock = k.clock ?? hostClock()): SimTimers {
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
    t.due = clock.now() + t.ms;
    schedule(id, t);
  }
  /** The clock deadline behind board timer `id`. */
  function schedule(id: number, t: Timer) {
    t.catchingUp = false;
    t.handle = clock.at(t.due, () => {
      if (k.dead()) return;
      fire(id, t);
    });
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
    const now = clock.now();
    const due = [...timers.entries()].filter(([, t]) => !t.catchingUp && t.due <= now).sort((a, b) => a[1].due - b[1].due);
    for (const [id, t] of due) {
      if (k.dead()) return;
      if (timers.get(id) === t && !t.catchingUp && t.due <= now) fire(id, t);
    }
  }
  function stopHost(t: Timer) {
    if (t.catchingUp) clearImmediate(t.handle as NodeJS.Immediate);
    else (t.handle as ClockHandle | undefined)?.cancel();
    t.catchingUp = false;
  }
  function add(interval: boolean, fn: unknown, ms: unknown, args: unknown[]): number {
    const run = toFn(fn, args);
    const delay = Math.max(0, Number(ms) || 0);
    const id = nextId();
    const t: Timer = { handle: undefined as unknown as ClockHandle, interval, fn: run, ms: interval ? Math.max(1, delay) : delay, due: 0 };
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
    const now = clock.now();
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
    });
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
