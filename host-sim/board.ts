// The simulated ESP32: runs the Storage file `.bootcde` (firmware/app.js bytes, loaded as latin1)
// in a context with only Espruino's globals (realm.ts) plus emulations of its APIs (net/tls, Wifi,
// Storage, pins, timers, E, process, ESP32, crypto), and measures the firmware's call depth
// against the board's ceiling (docs/espruino.md trap 11). Storage is a folder: reboots keep it.
import { relative, resolve } from "node:path";
import { SourceMapConsumer, type RawSourceMap } from "source-map-js";
import { boardError, isBoardError } from "./board-error.ts";
import { createChipModules } from "./chip.ts";
import type { Kernel } from "./kernel.ts";
import { findUnsupportedSyntax } from "./syntax-gate.ts";
import { createNetModules, type NetModules, type NetStats } from "./net.ts";
import { createHttpModule } from "./api/http-module.ts";
import { createPinWorld, createSimPins, pinName, type SimPins } from "./pins.ts";
import { createRealm, type Realm } from "./realm.ts";
import { createSimStorage, toByteString, type SimStorage } from "./storage.ts";
import { createSimClock, createSimTimers, type ClockHandle, type SimClock, type SimTimers } from "./timers.ts";
import { createAirWorld, createSimWifi, type SimWifi } from "./wifi.ts";

/** Nested firmware calls allowed before "Too much recursion" (trap 11: the 31st threw; keep a margin). */
export const DEFAULT_MAX_DEPTH = 25;
/** Variables of an ESP32 without PSRAM (docs/espruino.md §4). */
export const TOTAL_VARS = 3400;
/**
 * process.memory() estimate, calibrated on Espruino's own interpreter in the ESP32's variable format
 * (test/real/fixtures/memory.json, written by the real-interpreter lane; test/real/calibration.test.ts
 * holds it within 15%): the interpreter at boot, the code run from Storage, the parsed configuration
 * (its rules arm closures, timers and watches: it weighs more than its bytes), and while a connection
 * is open the SMTP session plus the message it holds (the largest outbox piece read and not erased yet).
 */
export const BASE_VARS = 39;
export const VARS_PER_KB_FROM_STORAGE = 47.8;
export const VARS_PER_CONFIG_BYTE = 0.375;
export const SESSION_VARS = 717;
export const VARS_PER_HELD_BYTE = 0.5775;

/** The estimate itself, from what the simulator can see. */
export function estimateVariables(o: { codeBytes: number; configBytes: number; connectionOpen: boolean; heldBytes: number }): number {
  const rest = BASE_VARS + (o.codeBytes / 1024) * VARS_PER_KB_FROM_STORAGE + o.configBytes * VARS_PER_CONFIG_BYTE;
  return Math.round(rest + (o.connectionOpen ? SESSION_VARS + o.heldBytes * VARS_PER_HELD_BYTE : 0));
}
/** File names the firmware's frames carry in stack traces. */
const CODE_FILE = ".bootcde";
/** The configuration file (src/config.ts CONFIG_FILE). */
const CONFIG_FILE = "alertmail.json";
/** E.setBootCode(code, true): run at every start, reset() included, instead of .bootcde (jsflash.c). */
const RESET_CODE_FILE = ".bootrst";
/** Run before the boot code at every start (jsfLoadBootCodeFromFlash). */
const PRE_BOOT_FILES = [".boot0", ".boot1", ".boot2", ".boot3"];
const CONSOLE_FILE = "console";
const TOO_MUCH_RECURSION = "Too much recursion - the stack is about to overflow";

export const DEFAULT_ENV = {
  VERSION: "2v29",
  GIT_COMMIT: "sim",
  BOARD: "ESP32",
  RAM: 524288,
  FLASH: 0,
  SPIFLASH: 4194304,
  STORAGE: 0x40000,
  SERIAL: "24:0a:c4:00:00:01",
  CONSOLE: "Serial1",
  MODULES: "Flash,Storage,hexbadge,heatshrink,net,dgram,http,NetworkJS,Wifi,ESP32,TelnetServer,crypto,neopixel,tls",
  EXPTR: 0,
};

export interface SimBoardOptions {
  /** Folder that holds the emulated Storage (created if missing; kept across reboots). */
  storageDir: string;
  /** Overrides of process.env (e.g. MODULES without tls for the ESP32_IDF4 build). */
  env?: Record<string, unknown>;
  storageBytes?: number;
  /** Every console line (UTF-8 decoded) and every simulator note ("sim: …"). */
  log?: (line: string) => void;
  /** Nested firmware frames allowed (default 25). */
  maxDepth?: number;
  /** Let sockets reach hosts other than 127.0.0.1 (`npm start -- --real`). */
  allowRemote?: boolean;
  /** process.memory().total (default 3400). */
  totalVars?: number;
  /** Set the clock by "SNTP" once the firmware calls setSNTP with WiFi up (default true). */
  sntp?: boolean;
  /** That SNTP step (1970 → today) fires every pending timer at once, intervals once, as on the board,
   * where timers are time remaining reduced by how far the clock moved (jsiIdle). Default true. */
  sntpJumpFiresTimers?: boolean;
  /** Plain sockets: hold the connect callback until the first data (default true, see net.ts). */
  dataBeforeConnect?: boolean;
  /** The bundle's source map (JSON text, e.g. firmware/app.js.map): errors and the deepest call
   * chain are then shown as src/ file:line. */
  sourceMap?: string;
  /** Folder the map's `sources` are relative to (the bundle's folder); shown relative to the cwd. */
  sourceMapDir?: string;
  /** Jump the board clock over idle stretches (no socket open, nothing due): timers still fire in
   * order at the times they are due, a day of heartbeats takes seconds (host-sim/timers.ts). */
  fastForward?: boolean;
}

export interface SimBoard {
  /** Powers on: a fresh interpreter that runs .bootcde from Storage. */
  boot(): void;
  /** A simulated reboot: everything of the running boot stops, Storage stays, boot() again. */
  reboot(reason?: string): void;
  /** Espruino's reset(): an empty interpreter; .bootcde is not run (.boot0-3 and .bootrst are), the
   * clock keeps time. reset(true) also erases .bootcde and .bootrst ("Erasing saved code."). */
  reset(clearFlash?: boolean): void;
  /** Espruino's load(): a fresh interpreter that runs the boot code (or `file`), the clock keeping time. */
  load(file?: string): void;
  /** Console lines since the board was created (UTF-8 decoded), simulator notes start with "sim: ". */
  output: string[];
  /** Next console line matching re that no earlier waitForOutput returned (lines already printed count). */
  waitForOutput(re: RegExp, timeoutMs: number): Promise<string>;
  /** Runs code in the firmware's context, like typing it on the board's console. */
  eval(code: string): unknown;
  setPin(pin: string, level: boolean): void;
  setAnalog(pin: string, v0to1: number): void;
  wifiDown(): void;
  wifiUp(): void;
  stop(): void;
  /** Deepest firmware call chain seen (frames of .bootcde and console code). */
  readonly maxCallDepth: number;
  /** The stack (function names) at that depth. */
  readonly deepestStack: string;
  /** Uncaught errors printed, in order. */
  readonly errors: string[];
  /** Stopped by "Too much recursion" until the next reboot. */
  readonly halted: boolean;
  /** Boots so far (1 after the first boot). */
  readonly boots: number;
  readonly storage: SimStorage;
  readonly netStats: NetStats;
  /** What process.memory() reports now. */
  memory(): { free: number; usage: number; total: number };
  /** Subscribes to console lines; returns the unsubscribe function. */
  onOutput(fn: (line: string) => void): () => void;
  /** The clock every wait of the board is scheduled on (jumps idle stretches with fastForward). */
  readonly clock: SimClock;
}

type AnyFn = (...a: any[]) => unknown;
/** How the interpreter starts: power-on/chip reboot, load([file]) or reset([clearFlash]). */
type BootKind = { kind: "power" } | { kind: "load"; file?: string } | { kind: "reset"; clearFlash?: boolean };

export function createSimBoard(opts: SimBoardOptions): SimBoard {
  const maxDepth = opts.maxDepth ?? DEFAULT_MAX_DEPTH;
  const totalVars = opts.totalVars ?? TOTAL_VARS;
  const world = createPinWorld();
  const air = createAirWorld();
  const output: string[] = [];
  const consumed = new Set<number>();
  const listeners = new Set<(line: string) => void>();
  const lineWaiters = new Set<() => void>();
  const errors: string[] = [];
  let maxCallDepth = 0;
  let deepestStack = "";
  let halted = false;
  let boots = 0;
  let generation = 0;
  // `cur` (declared below) is only read when the clock asks, after boot.
  const clock = createSimClock({ fastForward: opts.fastForward, quiet: () => !cur || (cur.net.stats.open === 0 && cur.idle()) });
  let bootedAt = clock.now();
  /** Board clock = host clock + offset; at boot the offset puts it near 1970 (no RTC, no SNTP yet). */
  let clockOffset = -clock.now();
  let watchdog: { ms: number; timer: ClockHandle; arm: () => ClockHandle } | null = null;
  let wakeCause = 0;
  let sleepTimer: ClockHandle | null = null;

  // Storage lives across boots; the realm-aware parts are re-bound at each boot.
  let storage = createSimStorage({ dir: opts.storageDir, capacity: opts.storageBytes });

  let cur: {
    gen: number;
    realm: Realm;
    kernel: Kernel;
    timers: SimTimers;
    pins: SimPins;
    wifi: SimWifi;
    net: NetModules;
    E: Record<string, unknown>;
    /** No idle-loop event queued (the clock may jump). */
    idle: () => boolean;
  } | null = null;
  let lastNetStats: NetStats = { connects: 0, maxDataEvent: 0, bytesIn: 0, bytesOut: 0, open: 0 };

  function emitLine(line: string) {
    output.push(line);
    opts.log?.(line);
    listeners.forEach((l) => l(line));
    lineWaiters.forEach((w) => w());
  }
  /** Console output: byte strings from the firmware, shown as UTF-8. */
  function printBytes(s: string) {
    const text = Buffer.from(s, "latin1").toString("utf8");
    for (const line of text.replace(/\r?\n$/, "").split(/\r?\n/)) emitLine(line);
  }
  function note(s: string) {
    emitLine(`sim: ${s}`);
  }

  const consumer = opts.sourceMap ? new SourceMapConsumer(JSON.parse(opts.sourceMap) as RawSourceMap) : null;
  /** "src/x.ts:12:3" for a position in .bootcde, or the position itself without a map. */
  function where(file: string, line: number, column: number): string {
    if (file === CODE_FILE && consumer) {
      const p = consumer.originalPositionFor({ line, column: column - 1 });
      const src = p.source && opts.sourceMapDir ? relative(process.cwd(), resolve(opts.sourceMapDir, p.source)) : p.source;
      if (src) return `${src}:${p.line}:${(p.column ?? 0) + 1}${p.name ? ` (${p.name})` : ""}`;
    }
    return `${file}:${line}:${column}`;
  }
  /** where() for a position V8 reports in code it ran: first undo the realm's scoping rewrite. */
  function whereRan(file: string, line: number, column: number): string {
    const p = cur ? cur.realm.original(file, line, column) : { line, column };
    return where(file, p.line, p.column);
  }

  function format(v: unknown): string {
    if (typeof v === "string") return v;
    if (v === undefined || v === null || typeof v !== "object") {
      return typeof v === "function" ? `function ${(v as AnyFn).name || ""}() {…}` : String(v);
    }
    if (isBoardError(v)) return v.toString();
    const o = v as { message?: unknown; stack?: unknown };
    if (typeof o.message === "string" && typeof o.stack === "string") {
      // A context error: its prototype lost `name` (as on the board), the constructor still knows.
      const ctor = (Object.getPrototypeOf(v) as { constructor?: { name?: string } } | null)?.constructor?.name;
      return `${ctor || "Error"}: ${o.message}`;
    }
    try {
      return JSON.stringify(v) ?? String(v);
    } catch {
      return String(v);
    }
  }

  /** Frames of firmware code on the stack right now (counted in a loop: this runs at every API call). */
  const asCallSites = (_e: Error, cs: NodeJS.CallSite[]) => cs;
  function measureDepth(): number {
    const prevPrepare = Error.prepareStackTrace;
    const prevLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 1000;
    Error.prepareStackTrace = asCallSites;
    const holder: { stack?: NodeJS.CallSite[] } = {};
    Error.captureStackTrace(holder);
    const cs = holder.stack ?? [];
    Error.prepareStackTrace = prevPrepare;
    Error.stackTraceLimit = prevLimit;
    let n = 0;
    for (let i = 0; i < cs.length; i++) {
      const f = cs[i].getFileName();
      if (f === CODE_FILE || f === CONSOLE_FILE) n++;
    }
    if (n > maxCallDepth) {
      const fw = cs.filter((c) => {
        const f = c.getFileName();
        return f === CODE_FILE || f === CONSOLE_FILE;
      });
      maxCallDepth = n;
      deepestStack = fw.map((c) => whereRan(c.getFileName() ?? "", c.getLineNumber() ?? 0, c.getColumnNumber() ?? 0)).join(" < ");
    }
    return n;
  }

  /** The hardware watchdog: survives a halted interpreter (that is what it is for), not a reboot. */
  function enableWatchdog(ms: number) {
    clearWatchdog();
    const arm = () =>
      clock.after(ms, () => {
        note(`watchdog expired: no E.kickWatchdog() for ${ms / 1000} s — rebooting`);
        watchdog = null;
        scheduleReboot("watchdog");
      });
    watchdog = { ms, timer: arm(), arm };
  }
  function kickWatchdog() {
    if (!watchdog) return;
    watchdog.timer.cancel();
    watchdog.timer = watchdog.arm();
  }
  function clearWatchdog() {
    watchdog?.timer.cancel();
    watchdog = null;
  }

  function halt(why: string) {
    if (halted) return;
    halted = true;
    emitLine(`ERROR: ${why}`);
    errors.push(why);
    note(`firmware halted (${why}); maxCallDepth ${maxCallDepth}: ${deepestStack}`);
    stopBoot(true);
  }

  /** Every emulated API goes through here: the depth ceiling is checked at each call. */
  function api<F extends AnyFn>(fn: F): F {
    const wrapped = function (this: unknown, ...args: unknown[]) {
      if (measureDepth() > maxDepth) {
        halt(TOO_MUCH_RECURSION);
        throw boardError("InternalError", TOO_MUCH_RECURSION);
      }
      const r = fn.apply(this, args);
      if (r && typeof r === "object" && Object.getPrototypeOf(r) === Object.prototype) wrapMethods(r as Record<string, unknown>);
      return r;
    };
    return wrapped as unknown as F;
  }
  function wrapMethods<T extends Record<string, unknown>>(o: T): T {
    for (const key of Object.keys(o)) {
      const v = o[key];
      if (typeof v === "function") (o as Record<string, unknown>)[key] = api(v as AnyFn);
    }
    return o;
  }

  function reportUncaught(e: unknown) {
    if (halted) return;
    const msg = e && typeof e === "object" ? (e as { message?: unknown }).message : undefined;
    if (typeof msg === "string" && /Maximum call stack size exceeded/.test(msg)) return halt(TOO_MUCH_RECURSION);
    if (e && typeof e === "object" && (e as { message?: unknown }).message === TOO_MUCH_RECURSION) return;
    const text = format(e);
    errors.push(text);
    emitLine(`Uncaught ${text}`);
    const stack = e && typeof e === "object" ? (e as { stack?: unknown }).stack : undefined;
    const at = typeof stack === "string" ? /(\.bootcde|console|timer):(\d+):(\d+)/.exec(stack) : null;
    if (at) note(`uncaught error at ${whereRan(at[1], Number(at[2]), Number(at[3]))}`);
  }

  /** Ends the running boot: timers, watches, WiFi and sockets go; the watchdog too unless kept (halt). */
  function stopBoot(keepWatchdog = false) {
    if (!keepWatchdog) clearWatchdog();
    if (!cur) return;
    const c = cur;
    generation++;
    c.timers.clearAll();
    c.pins.clearAll();
    c.wifi.stop();
    c.net.dropAll("reboot");
    lastNetStats = { ...c.net.stats };
    sleepTimer?.cancel();
    sleepTimer = null;
  }

  /**
   * A fresh interpreter on the same Storage. What runs is jsfLoadBootCodeFromFlash's choice: .boot0-3,
   * then .bootrst if it exists, else .bootcde — except after reset(), which never runs .bootcde; load(file)
   * runs that file instead. Power-on (and chip reboots) start the clock at 1970; reset()/load() are soft
   * restarts of the interpreter and the clock keeps time.
   */
  function boot(start: BootKind = { kind: "power" }) {
    stopBoot();
    halted = false;
    boots++;
    const gen = ++generation;
    bootedAt = clock.now();
    if (start.kind === "power") clockOffset = -clock.now(); // the ESP32 clock starts at 1970 after a chip reset
    const queue: (() => void)[] = [];
    let scheduled = false;
    /** Set once the timers exist: an idle pass runs the due timers before the queued events (jsiIdle). */
    let runDueTimers = () => {};
    const dead = () => gen !== generation || halted;

    const kernel: Kernel = {
      call(fn, args) {
        if (dead()) return;
        try {
          fn.apply(undefined, args);
        } catch (e) {
          reportUncaught(e);
        }
      },
      defer(fn) {
        if (dead()) return;
        queue.push(fn);
        if (scheduled) return;
        scheduled = true;
        setImmediate(function drain() {
          scheduled = false;
          runDueTimers();
          const batch = queue.splice(0);
          for (const f of batch) {
            if (dead()) return;
            f();
          }
        });
      },
      print: (line) => printBytes(line),
      uptime: () => clock.now() - bootedAt,
      time: () => (clock.now() + clockOffset) / 1000,
      realm: undefined as unknown as Realm,
      dead,
      clock,
    };
    let tzMinutes = 0; // E.setTimeZone: local time = UTC + this, reset at boot
    const realm = createRealm({ now: () => clock.now() + clockOffset, tzMinutes: () => tzMinutes, defer: kernel.defer, call: kernel.call });
    kernel.realm = realm;
    const g = realm.global;
    storage = createSimStorage({
      dir: opts.storageDir,
      capacity: opts.storageBytes,
      toRealm: realm.toRealm,
      Uint8Array: g.Uint8Array,
      stringify: (v) => g.JSON.stringify(v),
    });
    const timers = createSimTimers(kernel, note);
    runDueTimers = timers.runDue;
    const pins = createSimPins(kernel, world);
    const env = { ...DEFAULT_ENV, ...(opts.env ?? {}) };
    const modulesList = String(env.MODULES ?? "").split(",");

    let wifi: SimWifi;
    const net = createNetModules({
      call: kernel.call,
      defer: kernel.defer,
      online: () => wifi.online(),
      print: (l) => printBytes(l),
      allowRemote: opts.allowRemote,
      dataBeforeConnect: opts.dataBeforeConnect,
    });
    wifi = createSimWifi(kernel, air, {
      onDown: () => net.dropAll("wifi"),
      onSntp: (server, tz) => {
        if (opts.sntp === false) return;
        clock.after(100, () => {
          if (dead() || !wifi.online() || clockOffset === 0) return;
          const stepMs = -clockOffset;
          clockOffset = 0;
          note(`SNTP: clock set from ${server} (TZ ${tz})`);
          if (opts.sntpJumpFiresTimers === false || stepMs <= 0) return;
          const fired = timers.clockStepped(stepMs);
          if (fired) note(`SNTP clock step of ${Math.round(stepMs / 86400000)} days: ${fired} pending timer(s) fired at once, as on the board`);
        });
      },
    });

    const chip = createChipModules(kernel, {
      writeBootCode(code, alwaysExec) {
        // jsfSaveBootCodeToFlash: both files go, then the code is written to one of them.
        (storage.module.erase as AnyFn)(CODE_FILE);
        (storage.module.erase as AnyFn)(RESET_CODE_FILE);
        if (code.length > 0) (storage.module.write as AnyFn)(alwaysExec ? RESET_CODE_FILE : CODE_FILE, code);
      },
      note,
      reboot(reason) {
        scheduleReboot(reason);
      },
      deepSleep(ms) {
        note(`deep sleep for ${ms} ms`);
        stopBoot();
        sleepTimer = clock.after(ms, () => {
          wakeCause = 4; // ESP_SLEEP_WAKEUP_TIMER
          boot();
        });
      },
      wakeCause: () => wakeCause,
      setTimeZoneMinutes(m) {
        tzMinutes = m;
      },
      watchdog: { enable: enableWatchdog, kick: kickWatchdog },
      Uint8Array: g.Uint8Array,
    });
    const E = realm.object(wrapMethods(chip.E));
    const ESP32 = realm.object(wrapMethods(chip.ESP32));
    const crypto = realm.object(wrapMethods(chip.crypto));

    const modules: Record<string, unknown> = {
      net: realm.object(wrapMethods({ connect: net.net.connect })),
      tls: realm.object(wrapMethods({ connect: net.tls.connect })),
      http: realm.object(wrapMethods(createHttpModule({ connect: (secure, o) => (secure ? net.tls : net.net).connect(o), call: kernel.call, defer: kernel.defer }))),
      Wifi: wrapMethods(wifi.module),
      Storage: realm.object(wrapMethods(tracked(storage.module))),
      ESP32,
      crypto,
    };
    const require = api((name: unknown) => {
      const n = String(name);
      if (n in modules && (n === "Storage" || modulesList.includes(n))) return modules[n];
      throw boardError("Error", `Module "${n}" not found`);
    });

    const processObj = realm.object({
      env: realm.toRealm(env),
      version: env.VERSION,
      memory: api(() => realm.toRealm(memory())),
    });
    const log = api((...args: unknown[]) => printBytes(args.map(format).join(" ")));
    const consoleObj = realm.object({ log, info: log, warn: log, error: log, debug: log });

    const globals: Record<string, unknown> = {
      ...wrapMethods(timers.globals),
      ...wrapMethods(
        Object.fromEntries(Object.entries(pins.globals).filter(([, v]) => typeof v === "function")) as Record<string, unknown>,
      ),
      ...Object.fromEntries(Object.entries(pins.globals).filter(([, v]) => typeof v !== "function")),
      require,
      E,
      ESP32,
      process: processObj,
      console: consoleObj,
      print: log,
      btoa: api((s: unknown) => Buffer.from(toByteString(s), "latin1").toString("base64")),
      atob: api((s: unknown) => Buffer.from(String(s), "base64").toString("latin1")),
      getTime: api(() => kernel.time()),
      setTime: api((t: unknown) => {
        clockOffset = Number(t) * 1000 - clock.now();
      }),
      getSerial: api(() => DEFAULT_ENV.SERIAL),
      analogWrite: api((p: unknown) => void pinName(p)),
      digitalPulse: api((p: unknown) => void pinName(p)),
      save: api(() => {
        if (storage.readBytes(CODE_FILE)) throw boardError("Error", "save() is not allowed once .bootcde exists (E.setBootCode)");
      }),
      load: api((file?: unknown) =>
        file === undefined ? scheduleReboot("load()", { kind: "load" }) : scheduleReboot(`load(${JSON.stringify(String(file))})`, { kind: "load", file: String(file) }),
      ),
      reset: api((clearFlash?: unknown) => scheduleReboot(clearFlash ? "reset(true)" : "reset()", { kind: "reset", clearFlash: !!clearFlash })),
      dump: api(() => {}),
      trace: api(() => {}),
    };
    for (const [k, v] of Object.entries(globals)) g[k] = v;

    cur = { gen, realm, kernel, timers, pins, wifi, net, E, idle: () => !scheduled };
    if (start.kind === "reset" && start.clearFlash) {
      // jsfRemoveCodeFromFlash
      printBytes("Erasing saved code.");
      (storage.module.erase as AnyFn)(CODE_FILE);
      (storage.module.erase as AnyFn)(RESET_CODE_FILE);
      printBytes("Done!");
    }
    if (start.kind === "load" && start.file !== undefined) {
      runStorageFile(start.file, start.file);
    } else {
      for (const f of PRE_BOOT_FILES) if (storage.readBytes(f)) runStorageFile(f, f);
      const resetCode = storage.readBytes(RESET_CODE_FILE) ? RESET_CODE_FILE : null;
      if (start.kind === "reset") {
        note(`reset(): interpreter cleared, .bootcde not run (load() or a reboot runs it)${resetCode ? "; running .bootrst" : ""}`);
        if (resetCode) runStorageFile(resetCode, resetCode);
        return;
      }
      const name = resetCode ?? CODE_FILE;
      if (!storage.readBytes(name)) {
        note("no .bootcde in Storage: nothing to run");
        return;
      }
      runStorageFile(name, CODE_FILE);
    }
    if (!dead()) ((E as unknown as { emit: AnyFn }).emit).call(E, "init");

    /** Runs a Storage file as code, refused whole if it has syntax the board lacks. */
    function runStorageFile(name: string, file: string) {
      const code = storage.readBytes(name);
      if (!code) {
        note(`no ${name} in Storage: nothing to run`);
        return;
      }
      note(`boot #${boots}: running ${name} (${code.length} bytes)`);
      const refused = findUnsupportedSyntax(code.toString("latin1"));
      if (refused) {
        const text = `SyntaxError: ${refused.what} (Espruino 2v29 cannot run it, docs/espruino.md §1)`;
        errors.push(text);
        emitLine(`Uncaught ${text}`);
        note(`refused at ${where(file, refused.line, refused.column)}: nothing of ${name} ran`);
        return;
      }
      kernel.call(() => realm.run(code.toString("latin1"), file), []);
    }
  }

  /** Reboots on the next turn; nothing more of the running boot runs meanwhile. */
  function scheduleReboot(reason: string, start: BootKind = { kind: "power" }) {
    const gen = generation;
    halted = true;
    setImmediate(() => {
      if (gen !== generation || !cur) return; // already rebooted or stopped since
      note(`reboot (${reason})`);
      boot(start);
    });
  }

  /** Outbox files (amq…) the running firmware read and has not erased: the longest piece read of each. */
  const held = new Map<string, number>();
  function tracked(m: Record<string, unknown>): Record<string, unknown> {
    held.clear();
    const read = m.read as AnyFn;
    const erase = m.erase as AnyFn;
    return {
      ...m,
      read: (...a: unknown[]) => {
        const v = read(...a);
        const name = String(a[0]);
        if (/^amq/.test(name) && v != null) held.set(name, Math.max(held.get(name) ?? 0, String(v).length));
        return v;
      },
      erase: (...a: unknown[]) => {
        held.delete(String(a[0]));
        return erase(...a);
      },
    };
  }

  function memory() {
    const usage = estimateVariables({
      codeBytes: storage.readBytes(CODE_FILE)?.length ?? 0,
      configBytes: storage.readBytes(CONFIG_FILE)?.length ?? 0,
      connectionOpen: !!cur && cur.net.stats.open > 0,
      heldBytes: Math.max(0, ...held.values()),
    });
    return { free: totalVars - usage, usage, total: totalVars, history: 0, gc: 0, gctime: 0, blocksize: 14 };
  }

  function waitForOutput(re: RegExp, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const find = (): boolean => {
        for (let i = 0; i < output.length; i++) {
          if (consumed.has(i)) continue;
          re.lastIndex = 0;
          if (re.test(output[i])) {
            consumed.add(i);
            lineWaiters.delete(find);
            clearTimeout(timer);
            resolve(output[i]);
            return true;
          }
        }
        return false;
      };
      const timer = setTimeout(() => {
        lineWaiters.delete(find);
        reject(new Error(`no console line matching ${re} within ${timeoutMs} ms; last lines:\n${output.slice(-15).join("\n")}`));
      }, timeoutMs);
      if (!find()) lineWaiters.add(find);
    });
  }

  return {
    boot: () => boot(),
    reset(clearFlash = false) {
      note(clearFlash ? "reset(true)" : "reset()");
      boot({ kind: "reset", clearFlash });
    },
    load(file?: string) {
      note(file === undefined ? "load()" : `load(${JSON.stringify(file)})`);
      boot({ kind: "load", file });
    },
    reboot(reason = "reboot()") {
      note(`reboot (${reason})`);
      boot();
    },
    output,
    waitForOutput,
    eval(code: string) {
      if (!cur) throw new Error("board not booted");
      const refused = findUnsupportedSyntax(code);
      if (refused) throw boardError("SyntaxError", `${refused.what} (Espruino 2v29 cannot run it) at console:${refused.line}:${refused.column}`);
      return cur.realm.run(code, CONSOLE_FILE);
    },
    setPin(pin, level) {
      world.level.set(pinName(pin), level);
      cur?.pins.changed(pinName(pin));
    },
    setAnalog(pin, v) {
      world.analog.set(pinName(pin), v);
    },
    wifiDown() {
      note("WiFi access point down");
      if (cur) cur.wifi.apDown();
      else air.apUp = false;
    },
    wifiUp() {
      note("WiFi access point up (the board does not reconnect by itself)");
      if (cur) cur.wifi.apUp();
      else air.apUp = true;
    },
    stop() {
      stopBoot();
      cur = null;
    },
    get maxCallDepth() {
      return maxCallDepth;
    },
    get deepestStack() {
      return deepestStack;
    },
    get errors() {
      return errors;
    },
    get halted() {
      return halted;
    },
    get boots() {
      return boots;
    },
    get storage() {
      return storage;
    },
    get netStats() {
      return cur ? cur.net.stats : lastNetStats;
    },
    memory,
    onOutput(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    clock,
  };
}
