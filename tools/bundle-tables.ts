// The bundle check's tables: what Espruino 2v29 lacks, each with its probe row(s) in shared/espruino-features.txt.

/** Globals the board does not have: name -> probe rows. */
export const MISSING_GLOBALS: Record<string, string> = {
  Map: "rows 117-120",
  Set: "row 121",
  WeakMap: "row 122",
  WeakSet: "row 123",
  Symbol: "rows 125, 126",
  Proxy: "row 127",
  Reflect: "row 128",
  Buffer: "no probe row (shared/espruino.md §5)",
  TextEncoder: "row 408",
  TextDecoder: "row 409",
  queueMicrotask: "row 447",
  setImmediate: "row 446",
  WeakRef: "row 124",
  BigInt: "row 372",
};

/** Static members of globals the board lacks: "Global.member" -> probe rows. */
export const MISSING_STATICS: Record<string, string> = {
  "Promise.race": "row 137",
  "Promise.allSettled": "row 138",
  "Promise.any": "row 139",
  "Array.from": "rows 221-223",
  "Array.of": "row 224",
  "Object.freeze": "row 194",
  "Object.seal": "row 196",
  "Object.is": "row 206",
  "process.nextTick": "row 452",
  "String.raw": "row 079",
  "String.fromCodePoint": "row 283",
  "Number.isInteger": "row 361",
  "Number.isNaN": "row 362",
  "Number.isFinite": "row 362",
  "Number.MAX_SAFE_INTEGER": "row 364",
  "Math.trunc": "row 368",
  "Date.UTC": "row 385",
  "Uint8Array.from": "row 406",
};

/** Methods the board lacks, whatever they are called on: name -> probe rows. */
export const MISSING_METHODS: Record<string, string> = {
  finally: "row 136 (Promise.prototype.finally)",
  flat: "row 243",
  flatMap: "row 244",
  at: "row 245",
  // Only reported when the argument is not a string literal: `s.lastIndexOf("\n")` is taken to be
  // String.prototype.lastIndexOf, which works (row 256); Array's is missing (row 239).
  lastIndexOf: "row 239 (Array.prototype.lastIndexOf; String's works, row 256)",
  trimStart: "row 260",
  trimEnd: "row 260",
  codePointAt: "row 282",
  matchAll: "row 293",
  localeCompare: "row 291",
  findLast: "row 228",
  findLastIndex: "row 228",
  reduceRight: "row 234",
  copyWithin: "row 250",
  normalize: "row 292",
};

/** Methods that give false positives with a needle of two or more characters (trap 1). */
export const PREFIX_TRAP_METHODS: Record<string, string> = {
  indexOf: "rows 253, 254",
  includes: "row 253",
  replace: "row 255",
};

/** table[key] for own keys only (`toString` or `constructor` must not find Object.prototype's). */
export const own = (table: Record<string, string>, key: string): string | undefined => (Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined);
