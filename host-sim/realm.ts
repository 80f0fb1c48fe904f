// A node:vm context holding only what Espruino 2v29 has (docs/espruino.md §1, docs/espruino.md §7):
// the globals and methods the board lacks are deleted, and the board's quirks that code can trip on
// (multi-char indexOf false positives, regexes that never match, match(/…/g) giving [], 8-bit fromCharCode, JSON \u00XX,
// ignored split limit, the unsynced clock, async Object.prototype.emit, statics not inherited, eval'd code rewritten) are reproduced, so code that only works on Node fails here.
import * as vm from "node:vm";
import { EVAL_GUARD, LENGTH_GUARD, rewriteForEspruino, STATICS_GUARD, type EspruinoRewrite } from "./espruino-rewrite.ts";
import { findUnsupportedSyntax } from "./syntax-gate.ts";

/** Globals V8 gives every context that Espruino does not have (docs/espruino.md probes 117–128, 372, 429, 460). */
export const MISSING_GLOBALS = [
  "Map", "Set", "WeakMap", "WeakSet", "WeakRef", "FinalizationRegistry", "Symbol", "Proxy", "Reflect",
  "BigInt", "BigInt64Array", "BigUint64Array", "SharedArrayBuffer", "Atomics", "WebAssembly", "Intl",
  "AggregateError", "EvalError", "URIError", "RangeError", "escape", "unescape", "Iterator", "Float16Array",
  "console",
];

/** [object path, property] pairs deleted from the context's intrinsics (rows 136–139, 194–206, 221–250, 260–293, 361–388, 406). */
const MISSING_MEMBERS: [string, string[]][] = [
  ["Object", ["freeze", "isFrozen", "seal", "isSealed", "is", "getOwnPropertySymbols", "groupBy", "hasOwn"]],
  ["Object.prototype", ["propertyIsEnumerable"]],
  ["Array", ["from", "of", "fromAsync"]],
  ["Array.prototype", ["findLast", "findLastIndex", "reduceRight", "lastIndexOf", "flat", "flatMap", "at", "keys", "values", "entries", "copyWithin", "toSorted", "toReversed", "toSpliced", "with"]],
  ["String", ["fromCodePoint", "raw"]],
  ["String.prototype", ["trimStart", "trimEnd", "trimLeft", "trimRight", "codePointAt", "search", "localeCompare", "normalize", "matchAll", "at", "isWellFormed", "toWellFormed"]],
  ["Number", ["isInteger", "isNaN", "isFinite", "isSafeInteger", "MAX_SAFE_INTEGER", "MIN_SAFE_INTEGER"]],
  ["Math", ["trunc"]],
  ["Date", ["UTC"]],
  ["Date.prototype", ["setUTCDate", "setUTCFullYear", "setUTCHours", "setUTCMilliseconds", "setUTCMinutes", "setUTCMonth", "setUTCSeconds", "toLocaleString", "toLocaleDateString", "toLocaleTimeString"]],
  ["Promise", ["race", "allSettled", "any", "withResolvers"]],
  ["Promise.prototype", ["finally"]],
  ["Object.getPrototypeOf(Uint8Array)", ["from", "of"]],
  ["Error.prototype", ["name"]],
  ["TypeError.prototype", ["name"]],
  ["SyntaxError.prototype", ["name"]],
  ["ReferenceError.prototype", ["name"]],
];

/** Host services the prelude needs, passed in once. */
export interface RealmHost {
  /** Board clock in ms since 1970 (starts near 0 until SNTP sets it). */
  now(): number;
  /** E.setTimeZone offset in minutes (local time = UTC + this); default 0 (UTC). */
  tzMinutes?(): number;
  /** Queue a function for the idle loop (async emit). */
  defer(fn: () => void): void;
  /** Run a firmware function as an event callback (depth, uncaught errors). */
  call(fn: (...a: unknown[]) => unknown, args: unknown[]): void;
  /** Set by createRealm: the global the rewritten code calls before writing a `.length`. */
  lengthGuard?: string;
  /** Set by createRealm: the global the rewritten code calls with each subclass (hides inherited statics). */
  staticsGuard?: string;
  /** Set by createRealm: the global the rewritten code passes eval's argument through. */
  evalGuard?: string;
  /** Set by createRealm: code for eval, rewritten as console input is, or why the board refuses it. */
  evalCode?(code: string): { code: string } | { refused: string };
  /** Set by createRealm: string helpers run with the host's own (unpatched, fast) intrinsics. */
  upperAscii?(s: string): string;
  lowerAscii?(s: string): string;
  escapeHighBytes?(s: string): string;
  makeRegExp?(source: string, flags: string): RegExp;
}

// Runs inside the context. Not firmware: its frames are not counted for call depth.
const PRELUDE = String.raw`(function (host) {
  "use strict";
  var G = globalThis;
  var nDefineProperty = Object.defineProperty;
  var def = function (o, k, v) { nDefineProperty(o, k, { value: v, writable: true, configurable: true, enumerable: false }); };
  var nIndexOf = String.prototype.indexOf, nReplace = String.prototype.replace, nSplit = String.prototype.split;
  var nSlice = String.prototype.slice, nStartsWith = String.prototype.startsWith;

  // Trap 1: a needle of 2+ chars also "matches" where the haystack's tail is a prefix of it.
  function boardIndexOf(s, needle, from) {
    needle = String(needle);
    var start = from === undefined ? 0 : Math.max(0, Math.floor(+from) || 0);
    var i = nIndexOf.call(s, needle, start);
    if (i >= 0 || needle.length < 2) return i;
    for (var j = Math.max(start, s.length - needle.length + 1); j < s.length; j++) {
      if (nStartsWith.call(needle, nSlice.call(s, j))) return j;
    }
    return -1;
  }
  def(String.prototype, "indexOf", function indexOf(needle, from) { return boardIndexOf(String(this), needle, from); });
  def(String.prototype, "includes", function includes(needle, from) { return boardIndexOf(String(this), needle, from) >= 0; });
  def(String.prototype, "replace", function replace(pattern, repl) {
    var s = String(this);
    if (pattern instanceof RegExp) {
      // "$&" is not supported on the board: it stays literal (row 273).
      if (typeof repl === "string" && nIndexOf.call(repl, "$&") >= 0) repl = nSplit.call(repl, "$&").join("$$&");
      var inf = regexInfo(pattern);
      if (inf.refused) { pattern.lastIndex = 0; return s; }
      var t = borrowTwin(inf, pattern);
      try { return nReplace.call(s, t, repl); } finally { returnTwin(inf, pattern, t); }
    }
    pattern = String(pattern);
    var i = boardIndexOf(s, pattern, 0);
    if (i < 0) return s;
    var matched = nSlice.call(s, i, i + pattern.length);
    var r = typeof repl === "function" ? String(repl(matched, i, s)) : String(repl);
    return nSlice.call(s, 0, i) + r + nSlice.call(s, i + pattern.length);
  });
  // The limit argument is ignored (row 266).
  def(String.prototype, "split", function split(sep) {
    var s = String(this);
    if (!(sep instanceof RegExp)) return nSplit.call(s, sep);
    var inf = regexInfo(sep);
    if (inf.refused) return [s];
    var t = borrowTwin(inf, sep), parts;
    try { parts = nSplit.call(s, t); } finally { returnTwin(inf, sep, t); }
    var out = []; // the twin's realm made that array: hand back one of the board's
    for (var i = 0; i < parts.length; i++) out.push(parts[i]);
    return out;
  });
  // Strings are bytes: character codes keep their low 8 bits (trap 7, row 461).
  var nFromCharCode = String.fromCharCode;
  def(String, "fromCharCode", function fromCharCode() {
    var a = [];
    for (var i = 0; i < arguments.length; i++) a.push((+arguments[i]) & 255);
    return nFromCharCode.apply(String, a);
  });
  // Case mapping touches ASCII letters only (row 469): V8 would remap latin1 bytes of UTF-8 text.
  var nUpper = String.prototype.toUpperCase, nLower = String.prototype.toLowerCase;
  // (host.upperAscii/lowerAscii do it with the host's regexes, which keep V8's fast paths.)
  def(String.prototype, "toUpperCase", function toUpperCase() { return host.upperAscii(String(this)); });
  def(String.prototype, "toLowerCase", function toLowerCase() { return host.lowerAscii(String(this)); });
  // JSON: non-ASCII bytes come out as \u00XX; replacer and reviver are ignored (rows 342–347).
  var nStringify = JSON.stringify, nParse = JSON.parse;
  def(JSON, "stringify", function stringify(v, replacer, indent) {
    var out = nStringify(v, undefined, indent);
    if (out === undefined) return out;
    return host.escapeHighBytes(out);
  });
  def(JSON, "parse", function parse(s) { return nParse(s); });
  // Descriptors: enumerable:false and writable:false are ignored on the board (rows 208, 210).
  var nDefine = Object.defineProperty;
  def(Object, "defineProperty", function defineProperty(o, k, d) {
    var c = {};
    for (var x in d) c[x] = d[x];
    c.enumerable = true;
    c.configurable = true;
    if ("value" in c || !("get" in c || "set" in c)) c.writable = true;
    return nDefine(o, k, c);
  });
  def(Object, "defineProperties", function defineProperties(o, ds) {
    for (var k in ds) Object.defineProperty(o, k, ds[k]);
    return o;
  });
  // Object.create with property descriptors is not supported (row 199).
  var nCreate = Object.create;
  def(Object, "create", function create(proto, props) {
    if (props !== undefined) throw new Error("propertiesObject is not supported yet");
    return nCreate(proto);
  });

  // Trap 2: regexes using syntax the board's engine lacks silently never match (rows 301–336):
  // ?, {n}, (?:, lookaround, named groups, \b, \u, a quantified group, flag m. Backreferences throw.
  // And "." matches "\n" (and every other character), as with V8's s flag: such a regex runs as its s twin.
  // Verdicts are kept per flags + source (and for the regex last seen), so the check costs a
  // lookup per call, not a scan of the source. (A WeakMap or a hidden property per regex costs
  // more: most regexes are literals, a new object at every evaluation.)
  // replace and split run a "twin" made by the host (same source and flags, plus s when "." is
  // used): its RegExp.prototype is untouched, so V8 keeps its fast paths instead of calling the
  // exec below once per match. exec, test and match go through the exec below.
  var nExec = RegExp.prototype.exec, NRegExp = RegExp, byKey = Object.create(null), lastRe = null, lastInfo = null;
  function analyse(re) {
    var src = re.source, flags = re.flags, inClass = false, bad = nIndexOf.call(flags, "m") >= 0, dot = false;
    for (var i = 0; i < src.length && !bad; i++) {
      var c = src.charAt(i), n = src.charAt(i + 1);
      if (c === "\\") {
        if (n === "u" || (!inClass && (n === "b" || n === "B"))) bad = true;
        if (!inClass && n >= "1" && n <= "9") throw new Error("Backreferences not supported");
        i++;
      } else if (inClass) {
        if (c === "]") inClass = false;
      } else if (c === "[") inClass = true;
      else if (c === "?") bad = true;
      else if (c === ".") dot = true;
      else if (c === "{" && n >= "0" && n <= "9") bad = true;
      else if (c === ")" && (n === "*" || n === "+" || n === "{")) bad = true;
    }
    var twinFlags = dot && !re.dotAll ? flags + "s" : flags;
    return {
      refused: bad,
      dotTwin: dot && !re.dotAll ? new NRegExp(src, twinFlags) : null,
      source: src,
      twinFlags: twinFlags,
      hostTwin: null,
      busy: 0,
    };
  }
  function regexInfo(re) {
    if (re === lastRe) return lastInfo;
    var key = re.flags + "/" + re.source;
    var inf = byKey[key];
    if (!inf) inf = byKey[key] = analyse(re);
    lastRe = re;
    lastInfo = inf;
    return inf;
  }
  // RegExp.prototype.compile changes a regex in place: forget what was known about it.
  var nCompile = RegExp.prototype.compile;
  if (nCompile) def(RegExp.prototype, "compile", function compile() {
    lastRe = null;
    return nCompile.apply(this, arguments);
  });
  function borrowTwin(inf, re) {
    // A replace callback may use the same regex again: a nested use gets a twin of its own.
    var t = inf.busy ? host.makeRegExp(inf.source, inf.twinFlags) : inf.hostTwin || (inf.hostTwin = host.makeRegExp(inf.source, inf.twinFlags));
    inf.busy++;
    t.lastIndex = re.lastIndex;
    return t;
  }
  function returnTwin(inf, re, t) {
    inf.busy--;
    re.lastIndex = t.lastIndex;
  }
  def(RegExp.prototype, "exec", function exec(s) {
    var inf = regexInfo(this);
    if (inf.refused) { this.lastIndex = 0; return null; }
    var twin = inf.dotTwin;
    if (!twin) return nExec.call(this, s);
    twin.lastIndex = this.lastIndex;
    var r = nExec.call(twin, s);
    this.lastIndex = twin.lastIndex;
    return r;
  });

  // match with the g flag gives [] (truthy), not null, when nothing matches (trap 12).
  var nMatch = String.prototype.match;
  def(String.prototype, "match", function match(re) {
    var r = nMatch.call(this, re);
    return r === null && re instanceof RegExp && re.global ? [] : r;
  });

  // The board clock: near 1970 until SNTP (Wifi.setSNTP) or setTime() sets it; an invalid date is 0.
  var D = Date;
  var tz = function () { return host.tzMinutes ? host.tzMinutes() : 0; };
  function BoardDate(a, b, c, d, e, f, g) {
    if (!new.target) return new D(host.now()).toString();
    var n = arguments.length, r;
    if (n === 0) r = new D(host.now());
    else if (n === 1) r = new D(a instanceof D ? a.getTime() : a);
    else r = new D(D.UTC(a, b, c === undefined ? 1 : c, d || 0, e || 0, f || 0, g || 0) - tz() * 60000);
    if (r.getTime() !== r.getTime()) r = new D(0);
    return r;
  }
  BoardDate.prototype = D.prototype;
  def(D.prototype, "constructor", BoardDate);
  // Local time on the board is UTC + E.setTimeZone(hours) (default 0), whatever the PC's zone is.
  var shifted = function (t) { return new D(t.getTime() + tz() * 60000); };
  ["FullYear", "Month", "Date", "Day", "Hours", "Minutes", "Seconds", "Milliseconds"].forEach(function (k) {
    var utcGet = D.prototype["getUTC" + k];
    def(D.prototype, "get" + k, function () { return utcGet.call(shifted(this)); });
  });
  ["FullYear", "Month", "Date", "Hours", "Minutes", "Seconds", "Milliseconds"].forEach(function (k) {
    var utcSet = D.prototype["setUTC" + k];
    def(D.prototype, "set" + k, function () {
      var t = shifted(this);
      utcSet.apply(t, arguments);
      return this.setTime(t.getTime() - tz() * 60000);
    });
  });
  def(D.prototype, "getTimezoneOffset", function () { return -tz(); });
  def(D.prototype, "toString", function () {
    var m = tz(), t = shifted(this), a = Math.abs(m);
    var p2 = function (x) { return (x < 10 ? "0" : "") + x; };
    return nReplace.call(t.toUTCString(), "GMT", "GMT" + (m < 0 ? "-" : "+") + p2(Math.floor(a / 60)) + p2(a % 60));
  });
  def(BoardDate, "now", function now() { return host.now(); });
  def(BoardDate, "parse", function parse(s) { var t = D.parse(s); return t === t ? t : 0; });
  def(G, "Date", BoardDate);

  // Espruino's event methods on every object: emit runs the listeners later (row 450), no once/off.
  function listenersOf(o, ev, make) {
    var k = "#on" + ev;
    if (!Object.prototype.hasOwnProperty.call(o, k)) { if (!make) return null; def(o, k, []); }
    return o[k];
  }
  def(Object.prototype, "on", function on(ev, fn) { listenersOf(this, ev, true).push(fn); });
  def(Object.prototype, "addListener", Object.prototype.on);
  def(Object.prototype, "prependListener", function prependListener(ev, fn) { listenersOf(this, ev, true).unshift(fn); });
  def(Object.prototype, "emit", function emit(ev) {
    var l = listenersOf(this, ev, false), self = this, args = [];
    for (var i = 1; i < arguments.length; i++) args.push(arguments[i]);
    if (!l || !l.length) return;
    l = l.slice();
    host.defer(function () { for (var i = 0; i < l.length; i++) host.call(l[i].bind(self), args); });
  });
  def(Object.prototype, "removeListener", function removeListener(ev, fn) {
    var l = listenersOf(this, ev, false), i = l ? l.indexOf(fn) : -1;
    if (i >= 0) l.splice(i, 1);
  });
  def(Object.prototype, "removeAllListeners", function removeAllListeners(ev) {
    if (ev === undefined) { for (var k in this) { if (nStartsWith.call(k, "#on")) delete this[k]; } }
    else delete this["#on" + ev];
  });

  // Promises as the board has them (rows 129-145): then-callbacks are queued events of the idle loop,
  // not microtasks, so the timers due in a pass run first (row 141: a setTimeout(0) before p1, p2);
  // no finally/race/allSettled/any.
  function BoardPromise(executor) {
    if (!new.target) throw new TypeError("Promise must be called with new");
    if (typeof executor !== "function") throw new TypeError("Executor function required in promise constructor");
    def(this, "#state", 0);
    def(this, "#value", undefined);
    def(this, "#reactions", []);
    var self = this, done = false;
    try {
      executor(function (v) { if (!done) { done = true; adopt(self, v); } }, function (e) { if (!done) { done = true; settle(self, 2, e); } });
    } catch (e) {
      if (!done) { done = true; settle(self, 2, e); }
    }
  }
  function adopt(p, v) {
    if (v === p) return settle(p, 2, new TypeError("Promise resolved with itself"));
    if (v !== null && (typeof v === "object" || typeof v === "function")) {
      var then;
      try { then = v.then; } catch (e) { return settle(p, 2, e); }
      if (typeof then === "function") {
        var called = false;
        try {
          then.call(v, function (x) { if (!called) { called = true; adopt(p, x); } }, function (e) { if (!called) { called = true; settle(p, 2, e); } });
        } catch (e) {
          if (!called) { called = true; settle(p, 2, e); }
        }
        return;
      }
    }
    settle(p, 1, v);
  }
  function settle(p, state, v) {
    if (p["#state"]) return;
    p["#state"] = state;
    p["#value"] = v;
    var rs = p["#reactions"];
    p["#reactions"] = null;
    for (var i = 0; i < rs.length; i++) react(p, rs[i]);
  }
  function react(p, r) {
    host.defer(function () {
      var ok = p["#state"] === 1, cb = ok ? r.ok : r.err, x;
      if (typeof cb !== "function") return ok ? adopt(r.p, p["#value"]) : settle(r.p, 2, p["#value"]);
      try { x = cb(p["#value"]); } catch (e) { return settle(r.p, 2, e); }
      adopt(r.p, x);
    });
  }
  def(BoardPromise.prototype, "then", function then(ok, err) {
    var np = new BoardPromise(function () {});
    var r = { ok: ok, err: err, p: np };
    if (this["#state"]) react(this, r);
    else this["#reactions"].push(r);
    return np;
  });
  def(BoardPromise.prototype, "catch", function (err) { return this.then(undefined, err); });
  def(BoardPromise, "resolve", function resolve(v) {
    if (v instanceof BoardPromise) return v;
    return new BoardPromise(function (res) { res(v); });
  });
  def(BoardPromise, "reject", function reject(e) { return new BoardPromise(function (res, rej) { rej(e); }); });
  def(BoardPromise, "all", function all(list) {
    return new BoardPromise(function (res, rej) {
      var n = list.length, out = new Array(n);
      if (!n) return res(out);
      for (var i = 0; i < list.length; i++) {
        (function (i) {
          BoardPromise.resolve(list[i]).then(function (v) { out[i] = v; if (--n === 0) res(out); }, rej);
        })(i);
      }
    });
  });
  def(G, "Promise", BoardPromise);

  // Espruino's own error type for interpreter failures (row 429).
  function InternalError(message) {
    if (!new.target) return new InternalError(message);
    this.message = message === undefined ? "" : String(message);
    this.type = "InternalError";
  }
  def(InternalError.prototype, "toString", function () { return "InternalError: " + this.message; });
  def(G, "InternalError", InternalError);
  // arr.length = n throws on the board (row 247); espruino-rewrite.ts routes every .length write here.
  def(G, host.lengthGuard, function (o) {
    if (Array.isArray(o)) throw new TypeError("Assignment to a constant");
    return o;
  });
  // Static members are not inherited by subclasses (§1): the rewrite hands every class with an
  // extends clause here; what it would inherit is hidden by an own undefined (super() still works).
  var nGetProto = Object.getPrototypeOf, nOwnNames = Object.getOwnPropertyNames, nHasOwn = Object.prototype.hasOwnProperty;
  var FN_OWN = { length: 1, name: 1, prototype: 1, arguments: 1, caller: 1 };
  def(G, host.staticsGuard, function (C) {
    for (var p = nGetProto(C); p && p !== Function.prototype; p = nGetProto(p)) {
      var names = nOwnNames(p);
      for (var i = 0; i < names.length; i++) {
        var k = names[i];
        if (!FN_OWN[k] && !nHasOwn.call(C, k)) nDefineProperty(C, k, { value: undefined, writable: true, configurable: true, enumerable: false });
      }
    }
    return C;
  });
  // eval'd code is checked and rewritten like console input (no hoisting, byte escapes…); the call
  // stays a direct eval, so it still sees the caller's variables, as on the board.
  def(G, host.evalGuard, function (code) {
    if (typeof code !== "string") return code;
    var r = host.evalCode(code);
    if (r.refused !== undefined) throw new SyntaxError(r.refused);
    return r.code;
  });
  def(G, "global", G);
})`;

const HIGH_BYTE = /[\x80-\xff]/;
/** What the prelude hands to the host: the same work done with the host realm's intrinsics. */
const HOST_STRING_HELPERS = {
  // Case mapping touches ASCII letters only (row 469).
  upperAscii: (s: string) => (HIGH_BYTE.test(s) ? s.replace(/[a-z]+/g, (m) => m.toUpperCase()) : s.toUpperCase()),
  lowerAscii: (s: string) => (HIGH_BYTE.test(s) ? s.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : s.toLowerCase()),
  // JSON.stringify: non-ASCII bytes come out as \u00XX (row 342).
  escapeHighBytes: (s: string) =>
    HIGH_BYTE.test(s) ? s.replace(/[\x80-\xff]/g, (c) => "\\u00" + c.charCodeAt(0).toString(16).toUpperCase()) : s,
  makeRegExp: (source: string, flags: string) => new RegExp(source, flags),
};

/** eval's argument: refused as the console refuses it, else rewritten (espruino-rewrite.ts). */
function evalCode(code: string): { code: string } | { refused: string } {
  const refused = findUnsupportedSyntax(code);
  if (refused) return { refused: `${refused.what} (Espruino 2v29 cannot run it) at eval:${refused.line}:${refused.column}` };
  return { code: rewriteForEspruino(code).code };
}

function resolve(g: Record<string, any>, path: string): any {
  if (path === "Object.getPrototypeOf(Uint8Array)") return Object.getPrototypeOf(g.Uint8Array);
  return path.split(".").reduce((o, k) => (o == null ? o : o[k]), g as any);
}

export interface Realm {
  context: vm.Context;
  /** The context's global object (what `global` is inside). */
  global: Record<string, any>;
  /** Copies plain data (JSON-able) into the context, so arrays/objects have the board's prototypes. */
  toRealm<T>(v: T): T;
  /** A fresh object whose prototype is the context's Object.prototype (has on/emit). */
  object<T extends object>(props: T): T;
  /** Runs code as a script with this file name (counted for call depth when it is the firmware), rewritten
   * first so names are scoped as on Espruino (no hoisting, no per-iteration loop bindings) and `arr.length = n`
   * throws (espruino-rewrite.ts). */
  run(code: string, filename: string): unknown;
  /** Where a (line, column) of the code last run under `filename` was before that rewrite (1-based). */
  original(filename: string, line: number, column: number): { line: number; column: number };
}

export function createRealm(host: RealmHost): Realm {
  const context = vm.createContext({}, { name: "espruino", codeGeneration: { strings: true, wasm: false } });
  const g = vm.runInContext("globalThis", context) as Record<string, any>;
  // Fetch before deleting: the prelude runs with the full intrinsics, then they go.
  const prelude = vm.runInContext(PRELUDE, context, { filename: "sim:prelude" }) as (h: RealmHost) => void;
  prelude({ ...host, lengthGuard: LENGTH_GUARD, staticsGuard: STATICS_GUARD, evalGuard: EVAL_GUARD, evalCode, ...HOST_STRING_HELPERS });
  for (const name of MISSING_GLOBALS) Reflect.deleteProperty(g, name);
  for (const [path, keys] of MISSING_MEMBERS) {
    const o = resolve(g, path);
    // Non-configurable ones (Number.MAX_SAFE_INTEGER…) stay: V8 will not let them go.
    if (o) for (const k of keys) Reflect.deleteProperty(o, k);
  }
  const realmParse = g.JSON.parse as (s: string) => unknown;
  const rewrites = new Map<string, EspruinoRewrite>();
  const realmObject = g.Object as ObjectConstructor;
  return {
    context,
    global: g,
    toRealm<T>(v: T): T {
      if (v === undefined || v === null || typeof v !== "object") return v;
      return realmParse(JSON.stringify(v)) as T;
    },
    object<T extends object>(props: T): T {
      return Object.assign(realmObject.create(realmObject.prototype), props) as T;
    },
    run(code, filename) {
      const r = rewriteForEspruino(code);
      rewrites.set(filename, r);
      return vm.runInContext(r.code, context, { filename });
    },
    original(filename, line, column) {
      return rewrites.get(filename)?.original(line, column) ?? { line, column };
    },
  };
}
