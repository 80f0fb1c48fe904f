// Timers injected into protocol code: the board's setTimeout/clearTimeout, with clear guarded (clearTimeout(undefined) throws on Espruino).

export interface Timers {
  /** Calls fn once after ms; returns an id for clear. */
  set(fn: () => void, ms: number): any;
  /** Cancels a timer; undefined/null ids are ignored. */
  clear(id: any): void;
}

export const boardTimers: Timers = {
  set: function (fn, ms) {
    return setTimeout(fn, ms);
  },
  clear: function (id) {
    if (id !== undefined && id !== null) clearTimeout(id);
  },
};
