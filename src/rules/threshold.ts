// Analog thresholds with hysteresis: fire once when the value crosses, re-arm only after it comes back past the band.

export interface Band {
  above: number | null;
  below: number | null;
  hysteresis: number;
}

/** Which sides may fire; both armed at start, so a value already past a limit at boot fires once. */
export interface Armed {
  above: boolean;
  below: boolean;
}

/** "above" / "below" when v has just crossed that limit, else "" (re-arming as v returns). */
export function crossing(b: Band, armed: Armed, v: number): string {
  if (b.above !== null) {
    if (armed.above && v > b.above) {
      armed.above = false;
      return "above";
    }
    if (!armed.above && v <= b.above - b.hysteresis) armed.above = true;
  }
  if (b.below !== null) {
    if (armed.below && v < b.below) {
      armed.below = false;
      return "below";
    }
    if (!armed.below && v >= b.below + b.hysteresis) armed.below = true;
  }
  return "";
}
