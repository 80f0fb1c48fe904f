// Small statistics for the bench: median and spread of a sample, formatted for the results tables.

export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
}

export function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function summarize(xs: number[]): Summary | null {
  if (!xs.length) return null;
  return { n: xs.length, median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
}

/** "123 ms (110–140)" */
export function fmtMs(s: Summary | null): string {
  if (!s) return "—";
  return `${s.median.toFixed(0)} ms (${s.min.toFixed(0)}–${s.max.toFixed(0)})`;
}

/** Flights: "4" when all equal, else "median (min–max)". */
export function fmtCount(s: Summary | null): string {
  if (!s) return "—";
  if (s.min === s.max) return String(s.min);
  return `${s.median} (${s.min}–${s.max})`;
}

export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a == null || b == null || !isFinite(a) || !isFinite(b) || b === 0) return null;
  return a / b;
}

export function fmtRatio(r: number | null): string {
  return r == null ? "—" : `${r.toFixed(2)}×`;
}
