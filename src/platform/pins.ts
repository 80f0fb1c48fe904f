// The pins as rules and sketches see them: watch an input with pull and debounce, read digital and analog levels.
// The board's implementation is boardPins in board.ts (this file stays free of Espruino globals for Node tests).

export type Pull = "up" | "down" | "none";
export type Edge = "rising" | "falling" | "both";

export interface Pins {
  /** Calls fn(level) on every debounced edge; the watch lasts until reboot. */
  watch(pin: string, pull: Pull, edge: Edge, debounceMs: number, fn: (level: boolean) => void): void;
  digital(pin: string): boolean;
  /** 0..1 (12-bit ADC; ADC1 pins only on the ESP32). */
  analog(pin: string): number;
}
