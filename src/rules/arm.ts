// Wires the alerts[] of the configuration to pins and timers, applies the limits, and raises alerts.
import type { AlertRule } from "../config.ts";
import type { Pins } from "../platform/pins.ts";
import type { Timers } from "../platform/timers.ts";
import { admit, newRuleState, type RuleState } from "./limits.ts";
import { crossing } from "./threshold.ts";

/** What a trigger says; {{device}} {{name}} {{time}} {{ip}} are added when the alert is rendered. */
export interface Trigger {
  value: string;
  unit: string;
  state: string;
}

export interface RuleEnv {
  pins: Pins;
  timers: Timers;
  now(): number;
  /** Called for every admitted trigger; count = triggers since the rule's previous mail. */
  raise(rule: AlertRule, t: Trigger, count: number): void;
  /** The heartbeat's {{value}}/{{state}}/{{count}}: uptime, alerts sent, queue, last error. */
  heartbeat(): Trigger & { count: number };
  /** Why the board restarted, for boot rules. */
  bootReason: string;
}

export interface Rules {
  states: { [name: string]: RuleState };
  /** Triggers a rule as if its input fired (alertmail.fire); false if there is no such rule. */
  fire(name: string): boolean;
}

/** Repeats fn every ms on the injected timers. */
export function every(timers: Timers, ms: number, fn: () => void): void {
  const tick = function () {
    timers.set(tick, ms);
    fn();
  };
  timers.set(tick, ms);
}

function round(v: number): string {
  return "" + Math.round(v * 100) / 100;
}

export function armRules(alerts: AlertRule[], env: RuleEnv): Rules {
  const states: { [name: string]: RuleState } = {};

  function trigger(r: AlertRule, t: Trigger, forced: boolean) {
    const st = states[r.name];
    st.count++;
    let count = st.count;
    if (r.kind == "heartbeat") {
      const h = env.heartbeat();
      t = h;
      count = h.count;
    }
    const why = forced ? "" : admit(st, r.cooldownSeconds, r.maxPerHour, env.now());
    if (why) {
      st.result = "held (" + why + "), " + st.count + " waiting";
      return;
    }
    st.count = 0;
    st.result = "raised " + t.state;
    env.raise(r, t, count);
  }

  alerts.forEach(function (r) {
    states[r.name] = newRuleState();
    if (r.kind == "digital") {
      env.pins.watch(r.pin, r.pull, r.edge, r.debounceMs, function (level) {
        trigger(r, { value: level ? "1" : "0", unit: "", state: level ? "high" : "low" }, false);
      });
    } else if (r.kind == "analog") {
      const armed = { above: true, below: true };
      every(env.timers, r.sampleMs, function () {
        const v = env.pins.analog(r.pin) * r.scale + r.offset;
        const side = crossing(r, armed, v);
        if (side) trigger(r, { value: round(v), unit: r.unit, state: side }, false);
      });
    } else if (r.kind == "heartbeat") {
      every(env.timers, r.everyHours * 3600000, function () {
        trigger(r, { value: "", unit: "", state: "" }, false);
      });
    } else if (r.kind == "boot") {
      trigger(r, { value: env.bootReason, unit: "", state: env.bootReason }, false);
    }
  });

  return {
    states: states,
    fire: function (name) {
      const r = alerts.find(function (a) {
        return a.name == name;
      });
      if (!r) return false;
      let t: Trigger = { value: "", unit: "", state: "test" };
      if (r.kind == "digital") {
        const l = env.pins.digital(r.pin);
        t = { value: l ? "1" : "0", unit: "", state: l ? "high" : "low" };
      } else if (r.kind == "analog") {
        t = { value: round(env.pins.analog(r.pin) * r.scale + r.offset), unit: r.unit, state: "test" };
      } else if (r.kind == "boot") t.state = env.bootReason;
      trigger(r, t, true);
      return true;
    },
  };
}
