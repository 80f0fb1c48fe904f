// The board's timers: setTimeout/setInterval/changeInterval/clearTimeout/clearInterval with integer
// ids; clearTimeout(undefined) throws (espruino-features.txt row 441); clearTimeout() clears all.
import { boardError } from "./board-error.ts";
import type { Kernel } from "./kernel.ts";

export interface SimTimers {
  globals: Record<string, (...a: any[]) => unknown>;
  /** Cancels every timer (reboot/stop). */
  clearAll(): void;
  /** Number of timers pending. */
  pending(): number;
}

export function createSimTimers(k: Kernel): SimTimers {
  let nextId = 1;
  const timers = new Map<number, { handle: NodeJS.Timeout; interval: boolean; fn: () => void; ms: number }>();

  function toFn(fn: unknown, args: unknown[]): () => void {
    if (typeof fn === "string") {
      const code = fn;
      return () => k.call(() => k.realm.run(code, "timer"), []);
    }
    if (typeof fn !== "function") throw boardError("Error", "Function or String not supplied!");
    return () => k.call(fn as (...a: unknown[]) => unknown, args);
  }
  function add(interval: boolean, fn: unknown, ms: unknown, args: unknown[]): number {
    const run = toFn(fn, args);
    const delay = Math.max(0, Number(ms) || 0);
    const id = nextId++;
    const tick = () => {
      if (k.dead()) return;
      if (!interval) timers.delete(id);
      run();
    };
    const handle = interval ? setInterval(tick, Math.max(1, delay)) : setTimeout(tick, delay);
    timers.set(id, { handle, interval, fn: run, ms: delay });
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
    if (t.interval) clearInterval(t.handle);
    else clearTimeout(t.handle);
    timers.delete(Number(id));
  }
  function clearAll() {
    for (const t of timers.values()) {
      if (t.interval) clearInterval(t.handle);
      else clearTimeout(t.handle);
    }
    timers.clear();
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
        clearInterval(t.handle);
        const delay = Math.max(1, Number(ms) || 0);
        t.handle = setInterval(() => {
          if (!k.dead()) t.fn();
        }, delay);
        t.ms = delay;
      },
    },
    clearAll,
    pending: () => timers.size,
  };
}
