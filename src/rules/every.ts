// A repeating timer on the injected timers (the board has setInterval, but every timer goes through platform/timers.ts).
import type { Timers } from "../platform/timers.ts";

/** Repeats fn every ms. */
export function every(timers: Timers, ms: number, fn: () => void): void {
  const tick = function () {
    timers.set(tick, ms);
    fn();
  };
  timers.set(tick, ms);
}
