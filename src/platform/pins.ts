// The board's pins for rules and sketches: watch an input with pull and debounce, read digital and analog levels.

export type Pull = "up" | "down" | "none";
export type Edge = "rising" | "falling" | "both";

export interface Pins {
  /** Calls fn(level) on every debounced edge; returns nothing (watches last until reboot). */
  watch(pin: string, pull: Pull, edge: Edge, debounceMs: number, fn: (level: boolean) => void): void;
  digital(pin: string): boolean;
  /** 0..1 (12-bit ADC). */
  analog(pin: string): number;
}

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
