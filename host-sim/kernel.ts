// What every emulated Espruino API needs from the simulated board: running firmware callbacks,
// the idle-loop queue, the console and the clock. One object per boot (a reboot makes a new one).
import type { Realm } from "./realm.ts";
import type { SimClock } from "./timers.ts";

export interface Kernel {
  /** Runs a firmware function as an event callback: uncaught errors are printed, a halted or
   * rebooted board runs nothing. */
  call(fn: (...a: any[]) => unknown, args: unknown[]): void;
  /** Queues a host function for the board's idle loop, in order. */
  defer(fn: () => void): void;
  /** Prints a line on the board's console. */
  print(line: string): void;
  /** ms since this boot. */
  uptime(): number;
  /** Seconds since 1970 by the board clock (getTime()). */
  time(): number;
  /** The context the firmware runs in. */
  realm: Realm;
  /** true once this boot is over (rebooted/stopped/halted): timers and events stop. */
  dead(): boolean;
  /** Every wait of the board (timers, WiFi, debounce) is a deadline on this clock (host-sim/timers.ts). */
  clock?: SimClock;
}
