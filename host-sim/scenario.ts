// Scenarios for `npm start`: the default one fires every configured alert once (digital → toggle
// the pin, analog → cross the threshold, boot → the boot itself, heartbeat → alertmail.fire(name));
// a scenario file is a JSON list of timed events (pins, analog values, WiFi, reboot, server faults,
// console commands).
import { readFileSync } from "node:fs";
import type { AlertRule, AnalogAlert, DeviceConfig, DigitalAlert } from "../src/config.ts";
import type { SimBoard } from "./board.ts";
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
  /** Mails that must arrive for the run to pass (default: none required, the run lists what came). */
  expectMails?: number;
  /** How long to wait after the last event for mails to arrive (default 30000 ms). */
  settleMs?: number;
}

/** Reads a scenario: either a plain JSON list of events or {events, expectMails, settleMs}. */
export function loadScenario(file: string): ScenarioFile {
  const raw = JSON.parse(readFileSync(file, "utf8")) as unknown;
  const s: ScenarioFile = Array.isArray(raw) ? { events: raw as ScenarioEvent[] } : (raw as ScenarioFile);
  if (!Array.isArray(s.events)) throw new Error(`${file}: expected a list of events or {"events": [...]}`);
  s.events.forEach((e, i) => {
    if (typeof e !== "object" || e === null || typeof (e as { at?: unknown }).at !== "number") {
      throw new Error(`${file}: event ${i + 1} needs "at" (ms after boot)`);
    }
    const kinds = ["pin", "analog", "wifi", "reboot", "fault", "console", "fire"].filter((k) => k in e);
    if (kinds.length !== 1) throw new Error(`${file}: event ${i + 1} must have exactly one of pin, analog, wifi, reboot, fault, console, fire`);
  });
  s.events.sort((a, b) => a.at - b.at);
  return s;
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
