// The bundle check's tables: what Espruino 2v29 lacks, each with its probe row(s) in docs/espruino.md §7.

/** Globals the board does not have: name -> probe rows. */
export const MISSING_GLOBALS: Record<string, string> = {
  Map: "probes 117-120",
  Set: "probe 121",
  WeakMap: "probe 122",
  WeakSet: "probe 123",
  Symbol: "probes 125, 126",
  Proxy: "probe 127",
  Reflect: "probe 128",
  Buffer: "no probe (docs/espruino.md §5)",
  TextEncoder: "probe 408",
  TextDecoder: "probe 409",
  queueMicrotask: "probe 447",
  setImmediate: "probe 446",
  WeakRef: "probe 124",
  BigInt: "probe 372",
};

/** Static members of globals the board lacks: "Global.member" -> probe rows. */
export const MISSING_STATICS: Record<string, string> = {
  "Promise.race": "probe 137",
  "Promise.allSettled": "probe 138",
  "Promise.any": "probe 139",
  "Array.from": "probes 221-223",
  "Array.of": "probe 224",
  "Object.freeze": "probe 194",
  "Object.seal": "probe 196",
  "Object.is": "probe 206",
  "process.nextTick": "probe 452",
  "String.raw": "probe 079",
  "String.fromCodePoint": "probe 283",
  "Number.isInteger": "probe 361",
  "Number.isNaN": "probe 362",
  "Number.isFinite": "probe 362",
  "Number.MAX_SAFE_INTEGER": "probe 364",
  "Math.trunc": "probe 368",
  "Date.UTC": "probe 385",
  "Uint8Array.from": "probe 406",
};

/** Methods the board lacks, whatever they are called on: name -> probe rows. */
export const MISSING_METHODS: Record<string, string> = {
  finally: "probe 136 (Promise.prototype.finally)",
  flat: "probe 243",
  flatMap: "probe 244",
  at: "probe 245",
  // Only reported when the argument is not a string literal: `s.lastIndexOf("\n")` is taken to be
  // String.prototype.lastIndexOf, which works (probe 256); Array's is missing (row 239).
  lastIndexOf: "probe 239 (Array.prototype.lastIndexOf; String's works, probe 256)",
  trimStart: "probe 260",
  trimEnd: "probe 260",
  codePointAt: "probe 282",
  matchAll: "probe 293",
  localeCompare: "probe 291",
  findLast: "probe 228",
  findLastIndex: "probe 228",
  reduceRight: "probe 234",
  copyWithin: "probe 250",
  normalize: "probe 292",
};

/** Methods that give false positives with a needle of two or more characters (trap 1). */
export const PREFIX_TRAP_METHODS: Record<string, string> = {
  indexOf: "probes 253, 254",
  includes: "probe 253",
  replace: "probe 255",
};

/** table[key] for own keys only (`toString` or `constructor` must not find Object.prototype's). */
export const own = (table: Record<string, string>, key: string): string | undefined => (Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined);
