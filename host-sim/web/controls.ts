// What the web page may do to the simulated board, checked before it is done: each configured rule's
// input (board.setPin / board.setAnalog, as scenarios do), WiFi, reboot, power, server faults
// (sink.inject, as scenarios do) and the console (board.eval, like typing on the board's console).
import type { AlertRule, DeviceConfig } from "../../src/config.ts";
import { isBoardError } from "../board-error.ts";
import type { SimBoard } from "../board.ts";
import type { SinkFault, SinkStep, SmtpSink } from "../smtp-sink.ts";

/** A request the page sent that cannot be done: the message is shown to the user as it is. */
export class InputError extends Error {}

export interface RuleControl {
  rule: string;
  kind: AlertRule["kind"];
  pin?: string;
  /** digital: the level at rest (pull-up: high). */
  idle?: boolean;
  /** analog: the scaled range analogRead 0..1 gives, the unit, the thresholds. */
  min?: number;
  max?: number;
  unit?: string;
  above?: number | null;
  below?: number | null;
  hysteresis?: number;
  subject: string;
}

/** The board as the page draws it. */
export function describeRules(config: DeviceConfig): RuleControl[] {
  return config.alerts.map((a): RuleControl => {
    if (a.kind === "digital") return { rule: a.name, kind: a.kind, pin: a.pin, idle: a.pull === "up", subject: a.subject };
    if (a.kind === "analog") {
      const ends = [a.offset, a.offset + a.scale];
      return {
        rule: a.name,
        kind: a.kind,
        pin: a.pin,
        min: Math.min(...ends),
        max: Math.max(...ends),
        unit: a.unit,
        above: a.above,
        below: a.below,
        hysteresis: a.hysteresis,
        subject: a.subject,
      };
    }
    return { rule: a.name, kind: a.kind, subject: a.subject };
  });
}

export const FAULT_STEPS: SinkStep[] = ["connect", "mail", "rcpt", "data"];

export interface PendingFault {
  kind: "421" | "451" | "drop";
  at: SinkStep;
  reply?: string;
}

export interface BoardState {
  power: boolean;
  wifi: boolean;
  /** Rule name → digital level. */
  levels: Record<string, boolean>;
  /** Rule name → scaled analog value set on the pin. */
  values: Record<string, number>;
  /** Rule name → what the board's analogRead gives for it, scaled (its 12-bit ADC rounds). */
  reads: Record<string, number>;
  /** A reboot waits for the server to see the next DATA command. */
  rebootAtData: boolean;
  faults: PendingFault[];
}

export interface Controls {
  readonly state: BoardState;
  /** Does what the page asked; returns a line saying what was done. Throws InputError for bad input. */
  apply(action: unknown): string;
  /** Each transcript line from the server (an armed reboot waits for DATA). */
  onTranscript(line: string): void;
}

const round = (v: number) => Math.round(v * 100) / 100;

export function createControls(board: SimBoard, sink: SmtpSink | null, config: DeviceConfig, changed: () => void): Controls {
  const rules = describeRules(config);
  const state: BoardState = { power: true, wifi: true, levels: {}, values: {}, reads: {}, rebootAtData: false, faults: [] };
  let faultEvents = 0;

  // Where the inputs are now: read on the board's console, as a user would (digitalRead/analogRead).
  for (const r of rules) {
    const read = (code: string) => {
      try {
        return board.eval(code);
      } catch {
        return undefined;
      }
    };
    if (r.kind === "digital") {
      const v = read(`digitalRead(${JSON.stringify(r.pin)})`);
      state.levels[r.rule] = v === undefined ? !!r.idle : !!v;
    } else if (r.kind === "analog") {
      const a = config.alerts.find((x) => x.name === r.rule) as Extract<AlertRule, { kind: "analog" }>;
      const raw = Number(read(`analogRead(${JSON.stringify(r.pin)})`));
      state.values[r.rule] = round(Number.isFinite(raw) ? raw * a.scale + a.offset : (r.min! + r.max!) / 2);
      if (Number.isFinite(raw)) state.reads[r.rule] = state.values[r.rule];
    }
  }

  const names = () => rules.map((r) => r.rule).join(", ");
  function ruleNamed(name: unknown): RuleControl {
    if (typeof name !== "string" || !name) throw new InputError(`say which rule (board.json has: ${names()})`);
    const r = rules.find((x) => x.rule === name);
    if (!r) throw new InputError(`no rule named "${name}" in board.json (it has: ${names()})`);
    return r;
  }
  function needPower(what: string) {
    if (!state.power) throw new InputError(`the board is off (power cut): power it on before ${what}`);
  }

  /** Marks injected faults the server has used (sink.events says "fault STEP …" when one fires). */
  function consumeFaults() {
    if (!sink) return;
    for (; faultEvents < sink.events.length; faultEvents++) {
      const m = /^fault (\w+) /.exec(sink.events[faultEvents]);
      if (!m) continue;
      const i = state.faults.findIndex((f) => f.at === m[1]);
      if (i >= 0) state.faults.splice(i, 1);
    }
  }

  function input(a: { rule?: unknown; level?: unknown; value?: unknown }): string {
    const r = ruleNamed(a.rule);
    if (r.kind === "digital") {
      if (typeof a.level !== "boolean" && a.level !== 0 && a.level !== 1) throw new InputError(`${r.rule} is a switch on ${r.pin}: its level is on/off (true/false or 1/0), not ${JSON.stringify(a.level)}`);
      const level = !!a.level;
      board.setPin(r.pin!, level);
      state.levels[r.rule] = level;
      return `pin ${r.pin} ${level ? "high" : "low"} (${r.rule})`;
    }
    if (r.kind === "analog") {
      const v = typeof a.value === "string" && a.value.trim() !== "" ? Number(a.value) : a.value;
      const unit = r.unit ? ` ${r.unit}` : "";
      if (typeof v !== "number" || !Number.isFinite(v)) throw new InputError(`${r.rule} needs a number in ${unit.trim() || "its unit"}, not ${JSON.stringify(a.value)}`);
      const rule = config.alerts.find((x) => x.name === r.rule) as Extract<AlertRule, { kind: "analog" }>;
      const raw = (v - rule.offset) / (rule.scale || 1);
      if (!(raw >= -1e-9 && raw <= 1 + 1e-9)) {
        throw new InputError(
          `${r.rule}: ${v}${unit} is outside what ${r.pin} can read: ${round(r.min!)} … ${round(r.max!)}${unit} (analogRead 0..1 × scale ${rule.scale} + offset ${rule.offset})`,
        );
      }
      board.setAnalog(r.pin!, Math.min(1, Math.max(0, raw)));
      state.values[r.rule] = round(v);
      // What the firmware will see: read on the board's console (its ADC rounds to 12 bits).
      let seen = "";
      try {
        const got = Number(board.eval(`analogRead(${JSON.stringify(r.pin)})`));
        state.reads[r.rule] = round(got * rule.scale + rule.offset);
        seen = `; analogRead gives ${got.toFixed(4)} = ${state.reads[r.rule]}${unit}`;
      } catch {
        delete state.reads[r.rule];
      }
      return `analog ${r.pin} = ${round(v)}${unit} (raw ${Math.min(1, Math.max(0, raw)).toFixed(3)}${seen}, ${r.rule})`;
    }
    throw new InputError(`${r.rule} is a ${r.kind} rule: it has no input pin (use fire)`);
  }

  function fault(a: { kind?: unknown; at?: unknown }): string {
    if (!sink) throw new InputError("server faults need the embedded server (not with --real)");
    const kind = a.kind;
    if (kind !== "421" && kind !== "451" && kind !== "drop") throw new InputError(`a server fault is 421, 451 or drop, not ${JSON.stringify(kind)}`);
    if (kind === "drop") {
      const f: SinkFault = { at: "data", disconnect: true };
      sink.inject(f);
      state.faults.push({ kind, at: "data" });
      return "server fault armed: the next session is dropped mid-DATA (after the 354)";
    }
    const at = (a.at ?? (kind === "421" ? "mail" : "rcpt")) as SinkStep;
    if (!FAULT_STEPS.includes(at)) throw new InputError(`a fault step is one of ${FAULT_STEPS.join(", ")}, not ${JSON.stringify(a.at)}`);
    const reply = kind === "421" ? "421 4.3.2 Service shutting down (fault from the web page)" : "451 4.3.0 Try again later (fault from the web page)";
    sink.inject({ at, reply });
    state.faults.push({ kind, at, reply });
    return `server fault armed: the next ${at === "data" ? "end of DATA" : at.toUpperCase()} is answered "${reply}"`;
  }

  function apply(action: unknown): string {
    if (!action || typeof action !== "object") throw new InputError("expected a JSON object such as {\"do\": \"wifi\", \"up\": false}");
    const a = action as Record<string, unknown>;
    let said: string;
    switch (a.do) {
      case "input":
        said = input(a);
        break;
      case "fire": {
        const r = ruleNamed(a.rule);
        needPower(`firing ${r.rule}`);
        board.eval(`alertmail.fire(${JSON.stringify(r.rule)})`);
        said = `alertmail.fire(${JSON.stringify(r.rule)})`;
        break;
      }
      case "wifi":
        if (typeof a.up !== "boolean") throw new InputError("wifi needs up: true or false");
        if (a.up) board.wifiUp();
        else board.wifiDown();
        state.wifi = a.up;
        said = `WiFi access point ${a.up ? "up" : "down"}`;
        break;
      case "reboot":
        needPower("a reboot");
        if (a.when === "data") {
          if (!sink) throw new InputError("a reboot at DATA needs the embedded server (not with --real)");
          state.rebootAtData = true;
          said = "reboot armed: the board reboots when the server sees its next DATA command (mid-send)";
        } else {
          board.reboot("reset button (web page)");
          said = "reboot";
        }
        break;
      case "power":
        if (typeof a.on !== "boolean") throw new InputError("power needs on: true or false");
        if (a.on === state.power) throw new InputError(`the board is already ${a.on ? "on" : "off"}`);
        state.power = a.on;
        state.rebootAtData = false;
        if (a.on) board.boot();
        else board.stop();
        said = a.on ? "power on" : "power cut: the board stops at once; Storage keeps what was written";
        break;
      case "fault":
        said = fault(a);
        break;
      default:
        throw new InputError(`unknown action ${JSON.stringify(a.do)}`);
    }
    changed();
    return said;
  }

  return {
    get state() {
      consumeFaults();
      return state;
    },
    apply,
    onTranscript(line) {
      if (!state.rebootAtData || !/^C: DATA\b/i.test(line)) return;
      state.rebootAtData = false;
      // After the server's handler has run: the 354 is on its way, the body never goes.
      setImmediate(() => {
        if (state.power) board.reboot("reset button at DATA (web page)");
        changed();
      });
    },
  };
}

/** The board's strings are UTF-8 bytes, one per character: shown as the console shows them, as UTF-8 text. */
export function boardText(s: string): string {
  return /[^\x00-\xff]/.test(s) ? s : Buffer.from(s, "latin1").toString("utf8");
}

/** Runs code on the board's console; the answer as Espruino prints it ("=…"), or the error. */
export function runConsole(board: SimBoard, on: boolean, code: unknown): { result?: string; error?: string } {
  if (typeof code !== "string" || !code.trim()) return { error: "type some JavaScript, e.g. alertmail.status()" };
  if (!on) return { error: "the board is off (power cut): power it on first" };
  try {
    const r = board.eval(code);
    if (r === undefined) return { result: "=undefined" };
    if (typeof r === "function") return { result: "=function () { … }" };
    return { result: boardText(`=${JSON.stringify(r, null, 2) ?? String(r)}`) };
  } catch (e) {
    if (isBoardError(e)) return { error: `Uncaught ${e.toString()}` };
    const err = e as { name?: unknown; message?: unknown } | null;
    if (typeof err?.message !== "string") return { error: `Uncaught ${String(e)}` };
    // Errors made in the board's context lost their name, as on the board; the constructor still knows.
    const name = (typeof err.name === "string" && err.name) || (Object.getPrototypeOf(err) as { constructor?: { name?: string } } | null)?.constructor?.name || "Error";
    return { error: `Uncaught ${name}: ${err.message}` };
  }
}
