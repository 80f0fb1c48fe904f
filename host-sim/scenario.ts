// Scenarios for `npm start`: the default one fires every configured alert once (digital → toggle
// the pin, analog → cross the threshold, boot → the boot itself, heartbeat → alertmail.fire(name));
// a scenario file is a JSON list of timed events (pins, analog values, WiFi, reboot, server faults,
// console commands).
import { existsSync } from "node:fs";
import type { AlertRule, AnalogAlert, DeviceConfig, DigitalAlert } from "../src/config.ts";
import { didYouMean } from "../tools/config/did-you-mean.ts";
import { readJsonFile } from "../tools/config/load.ts";
import type { SimBoard } from "./board.ts";
import { pinName } from "./pins.ts";
import type { SinkFault, SinkStep } from "./smtp-sink.ts";

/** One timed event of a scenario file; `at` is ms after boot. */
export type ScenarioEvent =
  | { at: number; pin: string; level: boolean | 0 | 1 }
  | { at: number; analog: string; value: number }
  | { at: number; wifi: "down" | "up" }
  | { at: number; reboot: true }
  | { at: number; fault: SinkFault | { disconnectAt: SinkStep } }
  | { at: number; console: string }
  | { at: number; fire: string };

export interface ScenarioFile {
  events: ScenarioEvent[];
  /** What the scenario shows (free text). */
  description?: string;
  /** Mails that must arrive for the run to pass (default: none required, the run lists what came). */
  expectMails?: number;
  /** How long to wait after the last event for mails to arrive (default 30000 ms). */
  settleMs?: number;
}

export type ScenarioResult = { ok: true; scenario: ScenarioFile } | { ok: false; errors: string[] };

const ACTIONS = ["pin", "analog", "wifi", "reboot", "fault", "console", "fire"] as const;
/** Keys an event may have besides its action: `at`, and the value that goes with pin/analog. */
const EVENT_KEYS = ["at", ...ACTIONS, "level", "value"];
const TOP_KEYS = ["events", "expectMails", "settleMs", "description"];
const STEPS: SinkStep[] = ["connect", "auth", "mail", "rcpt", "data", "body"];
const FAULT_KEYS = ["at", "reply", "disconnect", "times", "disconnectAt"];

const show = (v: unknown) => (v === undefined ? "nothing" : Array.isArray(v) ? "a list" : JSON.stringify(v));
const oneOf = (xs: readonly string[]) => xs.map((x) => `"${x}"`).join(", ");

/**
 * Checks a parsed scenario like board.json is checked: every mistake at once, each with its key path,
 * what was found and what is expected, a did-you-mean for misspelt keys, pins the simulated ESP32 has,
 * and (when the configuration's alert names are given) alerts that exist. Events come back sorted by time.
 */
export function checkScenario(raw: unknown, alertNames?: readonly string[]): ScenarioResult {
  const errors: string[] = [];
  const err = (path: string, msg: string) => errors.push(`${path}: ${msg}`);
  const unknownKeys = (o: Record<string, unknown>, allowed: readonly string[], path: string) => {
    const guessed = new Set<string>();
    for (const k of Object.keys(o)) {
      if (allowed.includes(k)) continue;
      const guess = didYouMean(k, allowed);
      if (guess && o[guess] === undefined) guessed.add(guess);
      err(`${path}${path ? "." : ""}${k}`, `unknown key${guess ? `; did you mean "${guess}"?` : ""} (expected one of: ${allowed.join(", ")})`);
    }
    return guessed;
  };
  let top: Record<string, unknown>;
  if (Array.isArray(raw)) top = { events: raw };
  else if (typeof raw === "object" && raw !== null) {
    top = raw as Record<string, unknown>;
    unknownKeys(top, TOP_KEYS, "");
  } else return { ok: false, errors: [`(top level): found ${show(raw)}; expected a list of events or {"events": [...]}`] };
  const events = top.events;
  if (!Array.isArray(events)) return { ok: false, errors: [...errors, `events: found ${show(events)}; expected a list of events or {"events": [...]}`] };
  for (const k of ["expectMails", "settleMs"] as const) {
    const v = top[k];
    if (v !== undefined && !(typeof v === "number" && Number.isInteger(v) && v >= 0)) err(k, `found ${show(v)}; expected an integer of at least 0`);
  }
  const checkPin = (v: unknown, path: string) => {
    try {
      if (typeof v !== "string") throw new Error();
      pinName(v);
      return true;
    } catch {
      err(path, `found ${show(v)}; expected a pin the ESP32 has, "D0".."D39"${typeof v === "number" ? ` (write "D${v}")` : ""}`);
      return false;
    }
  };
  events.forEach((e, i) => {
    const p = `events[${i}]`;
    if (typeof e !== "object" || e === null || Array.isArray(e)) return err(p, `found ${show(e)}; expected an event object like {"at": 2000, "wifi": "down"}`);
    const o = e as Record<string, unknown>;
    const guessed = unknownKeys(o, EVENT_KEYS, p);
    if (o.at === undefined) err(p, `needs "at" (ms after boot)`);
    else if (typeof o.at !== "number" || !Number.isFinite(o.at) || o.at < 0) err(`${p}.at`, `found ${show(o.at)}; expected ms after boot, a number of at least 0`);
    const actions = ACTIONS.filter((k) => k in o);
    if (actions.length !== 1) {
      if (!actions.length && [...guessed].some((g) => (ACTIONS as readonly string[]).includes(g))) return; // the misspelt key is the action
      return err(p, `must have exactly one of pin, analog, wifi, reboot, fault, console, fire (found ${actions.length ? actions.join(", ") : "none"})`);
    }
    const a = actions[0];
    const extra = (["level", "value"] as const).filter((k) => k in o && !(a === "pin" ? k === "level" : a === "analog" ? k === "value" : false));
    extra.forEach((k) => err(`${p}.${k}`, `goes with ${k === "level" ? '"pin"' : '"analog"'}, not "${a}"`));
    const v = o[a];
    if (a === "pin") {
      checkPin(v, `${p}.pin`);
      if (o.level === undefined) {
        if (!guessed.has("level")) err(`${p}.level`, "missing; expected true/1 (high) or false/0 (low)");
      } else if (!(typeof o.level === "boolean" || o.level === 0 || o.level === 1)) err(`${p}.level`, `found ${show(o.level)}; expected true/1 (high) or false/0 (low)`);
    } else if (a === "analog") {
      checkPin(v, `${p}.analog`);
      if (o.value === undefined) {
        if (!guessed.has("value")) err(`${p}.value`, "missing; expected the raw reading, a number from 0 to 1");
      } else if (typeof o.value !== "number" || o.value < 0 || o.value > 1) err(`${p}.value`, `found ${show(o.value)}; expected the raw reading, a number from 0 to 1 (analogRead's range)`);
    } else if (a === "wifi") {
      if (v !== "down" && v !== "up") err(`${p}.wifi`, `found ${show(v)}; expected "down" or "up"`);
    } else if (a === "reboot") {
      if (v !== true) err(`${p}.reboot`, `found ${show(v)}; expected true`);
    } else if (a === "console") {
      if (typeof v !== "string" || !v.trim()) err(`${p}.console`, `found ${show(v)}; expected code to run on the board's console, e.g. "alertmail.status()"`);
    } else if (a === "fire") {
      if (typeof v !== "string") err(`${p}.fire`, `found ${show(v)}; expected an alert name`);
      else if (alertNames && !alertNames.includes(v)) {
        const guess = didYouMean(v, alertNames);
        err(`${p}.fire`, `found ${show(v)}; expected an alert of the configuration: ${oneOf(alertNames)}${guess ? ` (did you mean "${guess}"?)` : ""}`);
      }
    } else if (a === "fault") {
      if (typeof v !== "object" || v === null || Array.isArray(v)) return err(`${p}.fault`, `found ${show(v)}; expected {"at": STEP, "reply": "451 4.3.0 try later"} or {"disconnectAt": STEP}`);
      const f = v as Record<string, unknown>;
      unknownKeys(f, FAULT_KEYS, `${p}.fault`);
      const step = f.disconnectAt ?? f.at;
      const stepKey = f.disconnectAt !== undefined ? "disconnectAt" : "at";
      if (typeof step !== "string" || !STEPS.includes(step as SinkStep)) {
        const guess = typeof step === "string" ? didYouMean(step, STEPS) : undefined;
        err(`${p}.fault.${stepKey}`, `found ${show(step)}; expected the SMTP step, one of ${oneOf(STEPS)}${guess ? ` (did you mean "${guess}"?)` : ""}`);
      }
      if (f.disconnectAt === undefined && f.disconnect !== true) {
        if (typeof f.reply !== "string" || !/^[2-5]\d\d([ -].*)?$/.test(f.reply)) {
          err(`${p}.fault.reply`, `found ${show(f.reply)}; expected an SMTP reply such as "451 4.3.0 try again later" (or "disconnect": true)`);
        }
      }
      if (f.times !== undefined && !(typeof f.times === "number" && Number.isInteger(f.times) && f.times >= 1)) {
        err(`${p}.fault.times`, `found ${show(f.times)}; expected how many times, an integer of at least 1`);
      }
    }
  });
  if (errors.length) return { ok: false, errors };
  const s: ScenarioFile = { ...(top as unknown as ScenarioFile), events: [...(events as ScenarioEvent[])] };
  s.events.sort((a, b) => a.at - b.at);
  return { ok: true, scenario: s };
}

/** Reads and checks a scenario file; every error is prefixed with the file's name. */
export function readScenario(file: string, alertNames?: readonly string[]): ScenarioResult {
  if (!existsSync(file)) return { ok: false, errors: [`${file}: no such file (examples are in host-sim/scenarios/)`] };
  const parsed = readJsonFile(file);
  if (!parsed.ok) return { ok: false, errors: [parsed.error] };
  const r = checkScenario(parsed.value, alertNames);
  return r.ok ? r : { ok: false, errors: r.errors.map((e) => `${file}: ${e}`) };
}

/** Reads a scenario: either a plain JSON list of events or {events, expectMails, settleMs}; throws with every error. */
export function loadScenario(file: string, alertNames?: readonly string[]): ScenarioFile {
  const r = readScenario(file, alertNames);
  if (!r.ok) throw new Error(r.errors.join("\n"));
  return r.scenario;
}

/** What the simulator does to fire one alert, and the mail it expects back. */
export interface Trigger {
  alert: string;
  /** Human description: "pin D4 high → low". */
  how: string;
  /** Fired by the boot itself (nothing to do but wait). */
  atBoot?: boolean;
  /** Before boot: put inputs at their quiet level so nothing fires by itself. */
  prepare(board: SimBoard): void;
  /** Fires it (resolves once the inputs are set; the boot alert does nothing here). */
  fire(board: SimBoard): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Raw 0..1 reading that gives `value` after scale/offset (src/config.ts AnalogAlert). */
function rawFor(a: AnalogAlert, value: number): number {
  return (value - a.offset) / (a.scale || 1);
}

function quietValue(a: AnalogAlert): number {
  const margin = Math.max(a.hysteresis, Math.abs(a.scale) * 0.05);
  if (a.above !== null && a.below !== null) return (a.above + a.below) / 2;
  if (a.above !== null) return a.above - margin - a.hysteresis;
  return (a.below as number) + margin + a.hysteresis;
}

function alarmValue(a: AnalogAlert): number {
  const margin = Math.max(Math.abs(a.scale) * 0.05, 0.001);
  if (a.above !== null) return a.above + margin;
  return (a.below as number) - margin;
}

function digitalTrigger(a: DigitalAlert): Trigger {
  const idle = a.pull === "up";
  const hold = a.debounceMs + 50;
  let how: string;
  let steps: boolean[];
  if (a.edge === "both") {
    steps = [!idle];
    how = `pin ${a.pin} ${idle ? "high → low" : "low → high"}`;
  } else {
    const want = a.edge === "rising";
    steps = idle === want ? [!want, want] : [want];
    how = `pin ${a.pin} ${steps.map((l) => (l ? "high" : "low")).join(" → ")} (${a.edge} edge)`;
  }
  return {
    alert: a.name,
    how,
    prepare: (b) => b.setPin(a.pin, idle),
    async fire(b) {
      for (const level of steps) {
        b.setPin(a.pin, level);
        await sleep(hold);
      }
    },
  };
}

function analogTrigger(a: AnalogAlert): Trigger {
  const quiet = quietValue(a);
  const alarm = alarmValue(a);
  const clamp = (v: number) => Math.min(1, Math.max(0, v));
  const fmt = (v: number) => `${Math.round(v * 100) / 100}${a.unit ? ` ${a.unit}` : ""}`;
  return {
    alert: a.name,
    how: `${a.pin} ${fmt(quiet)} → ${fmt(alarm)} (raw ${clamp(rawFor(a, alarm)).toFixed(3)}, ${a.above !== null ? `above ${a.above}` : `below ${a.below}`})`,
    prepare: (b) => b.setAnalog(a.pin, clamp(rawFor(a, quiet))),
    async fire(b) {
      b.setAnalog(a.pin, clamp(rawFor(a, alarm)));
    },
  };
}

/** The default scenario: every alert of the config fired once, the boot alert first. */
export function defaultTriggers(config: DeviceConfig): Trigger[] {
  const boot = config.alerts.filter((a) => a.kind === "boot");
  const rest = config.alerts.filter((a) => a.kind !== "boot");
  return [...boot, ...rest].map((a: AlertRule): Trigger => {
    switch (a.kind) {
      case "boot":
        return { alert: a.name, how: "the boot itself", atBoot: true, prepare: () => {}, fire: async () => {} };
      case "digital":
        return digitalTrigger(a);
      case "analog":
        return analogTrigger(a);
      case "heartbeat":
        return {
          alert: a.name,
          how: `alertmail.fire(${JSON.stringify(a.name)}) (every ${a.everyHours} h)`,
          prepare: () => {},
          async fire(b) {
            b.eval(`alertmail.fire(${JSON.stringify(a.name)})`);
          },
        };
    }
  });
}

/** Recipients of an alert's mail: its own `to` or smtp.to, plus cc and bcc (envelope). */
export function expectedRecipients(config: DeviceConfig, alert: string): string[] {
  const rule = config.alerts.find((a) => a.name === alert);
  const to = rule && rule.to.length ? rule.to : config.smtp.to;
  return [...to, ...config.smtp.cc, ...config.smtp.bcc].map((m) => m.address);
}

/** Applies one scenario event to the board/sink; returns a line describing it. */
export function applyEvent(
  e: ScenarioEvent,
  board: SimBoard,
  inject: (f: SinkFault) => void,
): string {
  if ("pin" in e) {
    board.setPin(e.pin, !!e.level);
    return `pin ${e.pin} ${e.level ? "high" : "low"}`;
  }
  if ("analog" in e) {
    board.setAnalog(e.analog, e.value);
    return `analog ${e.analog} = ${e.value}`;
  }
  if ("wifi" in e) {
    if (e.wifi === "down") board.wifiDown();
    else board.wifiUp();
    return `WiFi access point ${e.wifi}`;
  }
  if ("reboot" in e) {
    board.reboot("scenario");
    return "reboot";
  }
  if ("fault" in e) {
    const f: SinkFault = "disconnectAt" in e.fault ? { at: e.fault.disconnectAt, disconnect: true } : e.fault;
    inject(f);
    return `server fault at ${f.at}: ${f.disconnect ? "disconnect" : f.reply}${f.times && f.times !== 1 ? ` ×${f.times}` : ""}`;
  }
  if ("fire" in e) {
    board.eval(`alertmail.fire(${JSON.stringify(e.fire)})`);
    return `alertmail.fire(${JSON.stringify(e.fire)})`;
  }
  const r = board.eval(e.console);
  return `> ${e.console}${r === undefined ? "" : ` = ${JSON.stringify(r)}`}`;
}
