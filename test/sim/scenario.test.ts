// Scenario files and the default scenario derived from board.json.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { AnalogAlert, DeviceConfig, DigitalAlert } from "../../src/config.ts";
import { ROOT } from "../../tools/build.ts";
import { loadBoardConfig } from "../../tools/config/load.ts";
import { defaultTriggers, expectedRecipients, loadScenario } from "../../host-sim/scenario.ts";
import type { SimBoard } from "../../host-sim/board.ts";

function writeTmp(content: unknown): string {
  const dir = join(ROOT, "test", ".tmp");
  mkdirSync(dir, { recursive: true });
  const f = join(mkdtempSync(join(dir, "scenario-")), "s.json");
  writeFileSync(f, JSON.stringify(content));
  return f;
}

/** A board stand-in that records what the trigger does to it. */
function recorder() {
  const log: string[] = [];
  const b = {
    setPin: (p: string, l: boolean) => log.push(`${p}=${l ? 1 : 0}`),
    setAnalog: (p: string, v: number) => log.push(`${p}~${v.toFixed(3)}`),
    eval: (c: string) => log.push(`eval ${c}`),
  } as unknown as SimBoard;
  return { b, log };
}

function shipped(): DeviceConfig {
  const r = loadBoardConfig({ file: join(ROOT, "board.json"), localFile: join(ROOT, "no-such-board.local.json") });
  if (!r.ok) throw new Error(r.errors.join("\n"));
  return r.config;
}

describe("scenario files", () => {
  it("reads a plain list or {events, expectMails} and sorts events by time", () => {
    const s = loadScenario(writeTmp([{ at: 500, wifi: "up" }, { at: 100, wifi: "down" }]));
    expect(s.events.map((e) => e.at)).toEqual([100, 500]);
    expect(loadScenario(writeTmp({ events: [{ at: 0, fire: "x" }], expectMails: 1 })).expectMails).toBe(1);
  });

  it("refuses an event without a time or with two actions", () => {
    expect(() => loadScenario(writeTmp([{ wifi: "down" }]))).toThrow(/needs "at"/);
    expect(() => loadScenario(writeTmp([{ at: 1, wifi: "down", reboot: true }]))).toThrow(/exactly one/);
  });

  it("ships example scenarios that load", () => {
    for (const f of ["wifi-outage.json", "server-faults.json"]) {
      expect(loadScenario(join(ROOT, "host-sim", "scenarios", f)).events.length).toBeGreaterThan(0);
    }
  });
});

describe("the default scenario", () => {
  it("fires the boot alert first, then every other alert once", () => {
    const c = shipped();
    expect(defaultTriggers(c).map((t) => t.alert)).toEqual(["restart", "door", "freezer", "daily"]);
    expect(expectedRecipients(c, "door")).toEqual(["owner@example.com"]);
  });

  it("toggles a pulled-up pin once for a both-edges alert, low then high for a rising one", async () => {
    const c = shipped();
    const door = c.alerts.find((a) => a.kind === "digital") as DigitalAlert;
    const run = async (a: DigitalAlert) => {
      const t = defaultTriggers({ ...c, alerts: [a] })[0];
      const { b, log } = recorder();
      t.prepare(b);
      await t.fire(b);
      return log;
    };
    expect(await run({ ...door, pull: "up", edge: "both", debounceMs: 0 })).toEqual(["D4=1", "D4=0"]);
    expect(await run({ ...door, pull: "up", edge: "rising", debounceMs: 0 })).toEqual(["D4=1", "D4=0", "D4=1"]);
    expect(await run({ ...door, pull: "down", edge: "rising", debounceMs: 0 })).toEqual(["D4=0", "D4=1"]);
  });

  it("moves an analog input from the quiet side across the threshold, in raw 0..1 units", async () => {
    const c = shipped();
    const f = c.alerts.find((a) => a.kind === "analog") as AnalogAlert;
    const t = defaultTriggers({ ...c, alerts: [f] })[0];
    const { b, log } = recorder();
    t.prepare(b);
    await t.fire(b);
    const [quiet, alarm] = log.map((l) => Number(l.split("~")[1]));
    const value = (raw: number) => raw * f.scale + f.offset;
    expect(value(quiet)).toBeLessThan(f.above! - f.hysteresis);
    expect(value(alarm)).toBeGreaterThan(f.above!);
  });
});
