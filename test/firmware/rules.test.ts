// Rules: debounce passed to the pin watch, analog hysteresis, cooldown, max per hour, heartbeat and boot.
import { describe, expect, test } from "vitest";
import type { AlertRule, Mailbox } from "../../src/config.ts";
import { armRules } from "../../src/rules/arm.ts";
import { admit, newRuleState } from "../../src/rules/limits.ts";
import { crossing } from "../../src/rules/threshold.ts";
import { fakeClock, fakePins } from "./fakes.ts";

const common = { subject: "s", body: "b", cooldownSeconds: 0, maxPerHour: 0, to: [] as Mailbox[], digest: false, format: "text" as "text" | "html" };

function setup(alerts: AlertRule[]) {
  const clock = fakeClock();
  const p = fakePins();
  const raised: { name: string; t: { value: string; state: string }; count: number }[] = [];
  const rules = armRules(alerts, {
    pins: p.pins,
    timers: clock.timers,
    now: clock.now,
    raise: (r, value, state, count) => raised.push({ name: r.name, t: { value, state }, count }),
  });
  return { clock, p, raised, rules };
}

describe("limits", () => {
  test("cooldown holds a second mail until the cooldown has passed", () => {
    const st = newRuleState();
    expect(admit(st, 60, 0, 0)).toBe("");
    expect(admit(st, 60, 0, 59_999)).toBe("cooldown");
    expect(admit(st, 60, 0, 60_000)).toBe("");
  });

  test("max per hour counts a rolling hour", () => {
    const st = newRuleState();
    expect(admit(st, 0, 2, 0)).toBe("");
    expect(admit(st, 0, 2, 1000)).toBe("");
    expect(admit(st, 0, 2, 2000)).toBe("max per hour");
    expect(admit(st, 0, 2, 3_599_999)).toBe("max per hour");
    expect(admit(st, 0, 2, 3_600_000)).toBe("");
  });
});

describe("analog threshold", () => {
  test("fires once above, re-arms only below above minus hysteresis", () => {
    const band = { above: 30, below: null, hysteresis: 2 };
    const armed = { above: true, below: true };
    const seen = [25, 31, 35, 29, 31, 27.9, 31].map((v) => crossing(band, armed, v));
    expect(seen).toEqual(["", "above", "", "", "", "", "above"]);
  });

  test("fires once below, re-arms only above below plus hysteresis", () => {
    const band = { above: null, below: 5, hysteresis: 1 };
    const armed = { above: true, below: true };
    const seen = [6, 4, 3, 5.5, 4, 6, 4].map((v) => crossing(band, armed, v));
    expect(seen).toEqual(["", "below", "", "", "", "", "below"]);
  });
});

describe("armed rules", () => {
  test("a digital rule watches its pin with pull, edge and debounce, and reports the level", () => {
    const { p, raised } = setup([{ ...common, name: "door", kind: "digital", pin: "D4", pull: "up", edge: "both", debounceMs: 50 }]);
    expect(p.watchers).toMatchObject([{ pin: "D4", pull: "up", edge: "both", debounceMs: 50 }]);
    p.edge("D4", false);
    p.edge("D4", true);
    expect(raised.map((r) => r.t.state)).toEqual(["low", "high"]);
  });

  test("cooldown suppresses a chattering input and counts what it held back", () => {
    const { p, raised, clock, rules } = setup([{ ...common, name: "door", kind: "digital", pin: "D4", pull: "up", edge: "both", debounceMs: 50, cooldownSeconds: 60 }]);
    p.edge("D4", true);
    clock.advance(1000);
    p.edge("D4", false);
    p.edge("D4", true);
    expect(raised).toHaveLength(1);
    expect(rules.states.door.result).toContain("cooldown");
    clock.advance(60_000);
    p.edge("D4", false);
    expect(raised).toHaveLength(2);
    expect(raised[1].count).toBe(3);
  });

  test("max per hour stops the fourth mail of an hour", () => {
    const { p, raised, clock } = setup([{ ...common, name: "door", kind: "digital", pin: "D4", pull: "none", edge: "rising", debounceMs: 10, maxPerHour: 3 }]);
    for (let i = 0; i < 5; i++) {
      p.edge("D4", true);
      clock.advance(60_000);
    }
    expect(raised).toHaveLength(3);
    clock.advance(3_600_000);
    p.edge("D4", true);
    expect(raised).toHaveLength(4);
  });

  test("an analog rule samples, scales and fires once per crossing", () => {
    const { p, raised, clock } = setup([
      { ...common, name: "freezer", kind: "analog", pin: "D34", above: -10, below: null, hysteresis: 2, sampleMs: 1000, scale: 100, offset: -50, unit: "°C" },
    ]);
    const levels = [0.3, 0.41, 0.45, 0.39, 0.41, 0.37, 0.42]; // -20, -9, -5, -11, -9, -13, -8
    for (const v of levels) {
      p.analog.D34 = v;
      clock.advance(1000);
    }
    expect(raised.map((r) => r.t.value)).toEqual(["-9", "-8"]);
    expect(raised[0].t).toMatchObject({ state: "above" });
  });

  test("a heartbeat fires every N hours", () => {
    const { raised, clock } = setup([{ ...common, name: "daily", kind: "heartbeat", everyHours: 2 }]);
    clock.advance(2 * 3_600_000 - 1);
    expect(raised).toHaveLength(0);
    clock.advance(1);
    clock.advance(2 * 3_600_000);
    expect(raised).toHaveLength(2);
    expect(raised[0]).toMatchObject({ name: "daily", count: 1 });
  });

  test("a boot rule fires once at arming", () => {
    const { raised, clock } = setup([{ ...common, name: "restart", kind: "boot" }]);
    clock.advance(48 * 3_600_000);
    expect(raised).toEqual([{ name: "restart", t: { value: "", state: "" }, count: 1 }]);
  });

  test("a rule the board refuses is reported, and the others still work", () => {
    const clock = fakeClock();
    const p = fakePins();
    const watch = p.pins.watch;
    p.pins.watch = (pin, ...rest) => {
      if (pin === "D99") throw new Error("Invalid pin D99");
      watch(pin, ...rest);
    };
    const raised: string[] = [];
    const rules = armRules(
      [
        { ...common, name: "bad", kind: "digital", pin: "D99", pull: "up", edge: "both", debounceMs: 50 },
        { ...common, name: "door", kind: "digital", pin: "D4", pull: "up", edge: "both", debounceMs: 50 },
      ],
      { pins: p.pins, timers: clock.timers, now: clock.now, raise: (r) => raised.push(r.name) },
    );
    expect(rules.states.bad.result).toBe("not armed: Error: Invalid pin D99");
    p.edge("D4", false);
    expect(raised).toEqual(["door"]);
  });

  test("fire() triggers a rule by name, past its cooldown, and refuses unknown names", () => {
    const { raised, rules, p } = setup([{ ...common, name: "door", kind: "digital", pin: "D4", pull: "up", edge: "both", debounceMs: 50, cooldownSeconds: 600 }]);
    p.levels.D4 = true;
    expect(rules.fire("door")).toBe(true);
    expect(rules.fire("door")).toBe(true);
    expect(rules.fire("nope")).toBe(false);
    expect(raised.map((r) => r.t.state)).toEqual(["high", "high"]);
  });
});
