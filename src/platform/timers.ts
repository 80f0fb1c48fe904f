// The one place firmware timers are made: the board's setTimeout/clearTimeout, with clear guarded
// (clearTimeout(undefined) throws on Espruino) and with timers that survive SNTP stepping the clock.

export interface Timers {
  /** Calls fn once after ms; returns an id for clear. */
  set(fn: () => void, ms: number): any;
  /** Cancels a timer; undefined/null ids are ignored. */
  clear(id: any): void;
  /** The wall clock timers are measured against (ms); Date.now when absent. */
  now?(): number;
}

/** A wall-clock step bigger than this is SNTP setting the clock (1970 → today), not time passing. */
export const CLOCK_STEP_MS = 60000;

/**
 * Timers that ignore a forward clock step. Espruino keeps each timer as time remaining and takes off
 * how far the system clock moved at every idle pass (jsiIdle, jsinteractive.c); SNTP moves it from
 * 1970 to today, so every pending timer fires at once at the first sync. A timer that fires more than
 * CLOCK_STEP_MS later by the wall clock than it was due was overtaken by such a step: it is armed
 * again for its full period instead of running. The id is a handle that follows the re-arming.
 * (A backward step only delays timers; SNTP steps forward from 1970.)
 */
export function steadyTimers(raw: Timers, now: () => number): Timers {
  return {
    now: now,
    set: function (fn, ms) {
      // One closure per pending timer, its state on the handle (every closure costs variables on the board).
      const h: { i?: any } = {};
      let due = now() + ms;
      const fire = function () {
        // Forgotten once fired: the board reuses timer ids, so a late clear must not hit a newer timer.
        h.i = undefined;
        if (now() - due > CLOCK_STEP_MS) {
          due = now() + ms;
          h.i = raw.set(fire, ms);
        } else fn();
      };
      h.i = raw.set(fire, ms);
      return h;
    },
    clear: function (h) {
      // The guard clearTimeout needs (clearTimeout(undefined) throws on the board).
      if (h) {
        if (h.i !== undefined) raw.clear(h.i);
        h.i = undefined;
      }
    },
  };
}

/**
 * Monotonic ms from a wall clock that SNTP steps: a step over CLOCK_STEP_MS between two calls is taken
 * out (the same rule as the timers above). Call it at least every CLOCK_STEP_MS (app/start.ts's tick does).
 */
export function monotonic(now: () => number): () => number {
  let skew = 0;
  let last = now();
  return function () {
    const t = now();
    const d = t - last;
    if (d < 0 || d > CLOCK_STEP_MS) skew += d;
    last = t;
    return t - skew;
  };
}

/** The board's timers: every firmware timer goes through here (nothing else calls setTimeout). */
export const boardTimers: Timers = steadyTimers({ set: setTimeout, clear: clearTimeout }, Date.now);
