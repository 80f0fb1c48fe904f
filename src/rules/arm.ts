// Wires the alerts[] of the configuration to pins and timers, applies the limits, and raises alerts.
import type { AlertRule } from "../config.ts";
import type { Pins } from "../platform/pins.ts";
import type { Timers } from "../platform/timers.ts";
import { admit, newRuleState, type RuleState } from "./limits.ts";
import { every } from "./every.ts";
import { crossing } from "./threshold.ts";

export interface RuleEnv {
  pins: Pins;
  timers: Timers;
  now(): number;
  /**
   * Called for every admitted trigger with {{value}} and {{state}} (digital "1"/"0" and "high"/"low",
   * analog the scaled value and "above"/"below"; heartbeat and boot rules leave both to the caller);
   * count = triggers since the rule's previous mail.
   */
  raise(rule: AlertRule, value: string, state: string, count: number): void;
}

export interface Rules {
  states: { [name: string]: RuleState };
  /** Triggers a rule as if its input fired (alertmail.fire), past its limits; false if there is no such rule. */
  fire(name: string): boolean;
}


export function armRules(alerts: AlertRule[], env: RuleEnv): Rules {
  const states: { [name: string]: RuleState } = {};

  function trigger(r: AlertRule, value: string, state: string, forced: boolean) {
    const st = states[r.name];
    st.count++;
    const why = forced ? "" : admit(st, r.cooldownSeconds, r.maxPerHour, env.now());
    if (why) {
      st.result = "held: " + why;
      return;
    }
    st.result = "raised " + state;
    const n = st.count;
    st.count = 0;
    env.raise(r, value, state, n);
  }
  /** The reading a rule reports now: [value, state]. */
  function read(r: AlertRule): string[] {
    if (r.kind == "digital") return env.pins.digital(r.pin) ? ["1", "high"] : ["0", "low"];
    if (r.kind == "analog") return ["" + Math.round((env.pins.analog(r.pin) * r.scale + r.offset) * 100) / 100, ""];
    return ["", ""];
  }

  // Declared before use: Espruino does not hoist functions (docs/espruino.md trap 3).
  function arm(r: AlertRule) {
    if (r.kind == "digital") {
      env.pins.watch(r.pin, r.pull, r.edge, r.debounceMs, function (level) {
        trigger(r, level ? "1" : "0", level ? "high" : "low", false);
      });
    } else if (r.kind == "analog") {
      const armed = { above: true, below: true };
      every(env.timers, r.sampleMs, function () {
        const v = read(r);
        const side = crossing(r, armed, +v[0]);
        if (side) trigger(r, v[0], side, false);
      });
    } else if (r.kind == "heartbeat") {
      every(env.timers, r.everyHours * 3600000, function () {
        trigger(r, "", "", false);
      });
    } else trigger(r, "", "", false);
  }

  alerts.forEach(function (r) {
    const st = (states[r.name] = newRuleState());
    // A rule the board refuses (a pin that does not exist) is reported in status(), never a crashed boot.
    try {
      arm(r);
    } catch (e) {
      st.result = "not armed: " + e;
    }
  });

  return {
    states: states,
    fire: function (name) {
      const r = alerts.find(function (a) {
        return a.name == name;
      });
      if (!r) return false;
      const v = read(r);
      trigger(r, v[0], v[1] || "test", true);
      return true;
    },
  };
}
