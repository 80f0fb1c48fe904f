// The global `alertmail` object: console commands (status, test, fire) and the small API sketches use.
import type { Edge, Pull } from "./platform/pins.ts";

/** What a sketch (src/sketch.ts) may call. */
export interface SketchApi {
  /** Queues a mail (persisted first, like every alert); to = addresses, default smtp.to. */
  send(m: { subject: string; text?: string; html?: string; to?: string | string[] }): void;
  /** Calls fn(level) on every debounced edge of an input pin. Defaults: pull "up", edge "both", 50 ms. */
  onPin(pin: string, fn: (level: boolean) => void, opts?: { pull?: Pull; edge?: Edge; debounceMs?: number }): void;
  digital(pin: string): boolean;
  /** 0..1 */
  analog(pin: string): number;
  log(s: string): void;
  /** Milliseconds since boot, steady across the SNTP clock step (like Arduino's millis()). */
  millis(): number;
}

/** The console commands, on top of the sketch API. */
export interface AlertmailConsole extends SketchApi {
  /** Prints and returns WiFi, clock, outbox, last result per rule and memory. */
  status(): object;
  /** Sends a test mail to the configured recipients now; the server's reply is logged. */
  test(): void;
  /** Triggers a rule by name as if its input fired (limits skipped). */
  fire(rule: string): void;
}
