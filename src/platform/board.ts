// The board itself: console log, TLS support, watchdog, free memory, the clock, pins and why it restarted.
import type { Pins } from "./pins.ts";

export function log(s: string): void {
  console.log("alertmail: " + s);
}

/** Does this Espruino build have the tls module? (the official ESP32 build does, ESP32_IDF4 doesn't). */
export function hasTls(): boolean {
  // Whole names compared: String indexOf with a multi-char needle gives false positives in 2v29.
  return (process.env.MODULES || "").split(",").some(function (m) {
    return m == "tls";
  });
}

/** Hardware watchdog: reboots the chip unless kickWatchdog() runs within `seconds`. */
export function enableWatchdog(seconds: number): void {
  E.enableWatchdog(seconds, false);
}

export function kickWatchdog(): void {
  E.kickWatchdog();
}

/** process.memory(): free/usage/total in JS variables (14 bytes each on the ESP32). */
export function memory(): { free: number } {
  return process.memory();
}

/** Milliseconds since 1970 by the board clock (1970-ish until SNTP sets it). */
export function now(): number {
  return Date.now();
}

/** Storage file whoever restarts the board on purpose may write the reason into (read once at the next boot). */
export const RESTART_NOTE = "amreboot";

/** Why this boot happened: the note a deliberate restart left (read once), else unknown. */
export function bootReason(): string {
  const S = require("Storage");
  const why = S.read(RESTART_NOTE);
  if (why === undefined) return "power-on or reset";
  S.erase(RESTART_NOTE);
  return why;
}

/** Makes the console object (alertmail.status() …) reachable from the REPL. */
export function expose(name: string, v: object): void {
  global[name] = v;
}

/** Pins through setWatch/pinMode/digitalRead/analogRead (shared/espruino.md §3). */
export const boardPins: Pins = {
  watch: function (pin, pull, edge, debounceMs, fn) {
    pinMode(pin, pull == "up" ? "input_pullup" : pull == "down" ? "input_pulldown" : "input");
    setWatch(
      function (e) {
        fn(!!e.state);
      },
      pin,
      { repeat: true, edge: edge, debounce: debounceMs },
    );
  },
  digital: function (pin) {
    return !!digitalRead(pin);
  },
  analog: function (pin) {
    return analogRead(pin);
  },
};
