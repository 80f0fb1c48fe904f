// Timers across the SNTP clock step: Espruino fires every pending timer when the clock jumps from 1970
// to today; the firmware's one timer facility (src/platform/timers.ts) re-arms them instead.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, expect, test, vi } from "vitest";
import { steadyTimers, type Timers } from "../../src/platform/timers.ts";
import { bootFirmware, testConfig } from "./harness.ts";

const TODAY = 1_750_000_000_000;

/**
 * setTimeout/clearTimeout/Date.now as Espruino runs them (jsiIdle in jsinteractive.c): each timer is
 * time remaining, reduced at every idle pass by how far the system clock moved since the last pass;
 * ids are reused once the timer list is empty.
 */
function espruinoLoop(start = 3000) {
  let wall = start;
  let lastIdle = start;
  let list: { id: number; left: number; fn: () => void }[] = [];
  const fired: number[] = [];
  const idle = () => {
    const passed = wall - lastIdle;
    lastIdle = wall;
    for (const t of list) t.left -= passed;
    for (;;) {
      const due = list.filter((t) => t.left <= 0).sort((a, b) => a.left - b.left)[0];
      if (!due) break;
      list = list.filter((t) => t !== due);
      due.fn();
    }
  };
  return {
    raw: {
      set(fn: () => void, ms: number) {
        const id = list.length ? Math.max(...list.map((t) => t.id)) + 1 : 1;
        list.push({ id, left: ms, fn });
        return id;
      },
      clear(id: number) {
        list = list.filter((t) => t.id !== id);
      },
    } as Timers,
    now: () => wall,
    fired,
    pending: () => list.length,
    /** Real time passes in 100 ms idle passes. */
    pass(ms: number) {
      for (let i = 0; i < ms; i += 100) {
        wall += Math.min(100, ms - i);
        idle();
      }
    },
    /** SNTP sets the system clock; the next idle pass sees the clock move by the whole step. */
    sntp(to: number) {
      wall = to;
      idle();
    },
  };
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

test("on Espruino's timer model, an unguarded 30 s reply timeout fires at the SNTP step (the defect)", () => {
  const loop = espruinoLoop();
  let timedOut = false;
  loop.raw.set(() => (timedOut = true), 30_000);
  loop.pass(1000);
  loop.sntp(TODAY);
  expect(timedOut).toBe(true);
});

test("a reply timeout pending at the SNTP step does not fire then; it runs its full period after", () => {
  const loop = espruinoLoop();
  const timers = steadyTimers(loop.raw, loop.now);
  let timedOut = 0;
  timers.set(() => timedOut++, 30_000);
  loop.pass(1000);
  loop.sntp(TODAY);
  expect(timedOut).toBe(0);
  loop.pass(29_900);
  expect(timedOut).toBe(0);
  loop.pass(200);
  expect(timedOut).toBe(1);
  loop.pass(120_000);
  expect(timedOut).toBe(1);
});

test("timers that are on time, or late by less than a minute (a blocking DNS lookup), run", () => {
  const loop = espruinoLoop();
  const timers = steadyTimers(loop.raw, loop.now);
  const ran: string[] = [];
  timers.set(() => ran.push("on time"), 5000);
  loop.pass(5000);
  timers.set(() => ran.push("late"), 1000);
  loop.sntp(loop.now() + 50_000); // the interpreter blocked for 50 s
  expect(ran).toEqual(["on time", "late"]);
});

test("a handle clears its timer before and after a re-arm; a fired or cleared handle never clears a newer timer", () => {
  const loop = espruinoLoop();
  const timers = steadyTimers(loop.raw, loop.now);
  const ran: string[] = [];
  const a = timers.set(() => ran.push("a"), 10_000);
  loop.sntp(TODAY); // re-armed under a new board id
  timers.clear(a);
  loop.pass(20_000);
  expect(ran).toEqual([]);
  expect(loop.pending()).toBe(0);

  const b = timers.set(() => ran.push("b"), 100);
  loop.pass(200); // b fired; the board's list is empty, so its id will be handed out again
  const c = timers.set(() => ran.push("c"), 1000);
  timers.clear(b);
  timers.clear(b);
  timers.clear(undefined);
  timers.clear(null);
  loop.pass(1000);
  expect(ran).toEqual(["b", "c"]);
  expect(c).not.toBe(b);
});

test("boardTimers is that guard over the board's setTimeout, clearTimeout and Date.now", async () => {
  const loop = espruinoLoop();
  vi.stubGlobal("setTimeout", (fn: () => void, ms: number) => loop.raw.set(fn, ms));
  vi.stubGlobal("clearTimeout", (id: unknown) => {
    if (id === undefined) throw new Error("clearTimeout(undefined) not allowed");
    loop.raw.clear(id);
  });
  vi.spyOn(Date, "now").mockImplementation(loop.now);
  // boardTimers takes the board's natives when its module loads: load it afresh over the stubs.
  vi.resetModules();
  const { boardTimers } = await import("../../src/platform/timers.ts");
  const ran: string[] = [];
  boardTimers.set(() => ran.push("heartbeat"), 24 * 3_600_000);
  const t = boardTimers.set(() => ran.push("timeout"), 30_000);
  loop.pass(2000);
  loop.sntp(TODAY);
  expect(ran).toEqual([]);
  boardTimers.clear(t);
  boardTimers.clear(undefined);
  loop.pass(60_000);
  expect(ran).toEqual([]);
  expect(loop.pending()).toBe(1);
});

test("SNTP stepping the clock fires neither the heartbeat nor a waiting retry early (whole firmware)", () => {
  const b = bootFirmware({
    start: 5000,
    config: testConfig((c) => {
      c.alerts.push({ name: "daily", kind: "heartbeat", everyHours: 24, subject: "{{device}} is alive", body: "ok", format: "text", cooldownSeconds: 0, maxPerHour: 0, to: [], digest: false });
    }),
  });
  b.smtp.script.push("451");
  b.clock.advance(1000); // WiFi up
  b.api.fire("door");
  b.clock.advance(62_000); // the sender waits up to 60 s for SNTP, then sends with the clock unset
  expect(b.smtp.connections).toEqual([1]);
  expect(b.log.filter((l) => l.startsWith("retry in "))).toEqual(["retry in 23 s"]);
  b.clock.sntp(TODAY);
  expect(b.log.some((l) => /alive/.test(l))).toBe(false);
  expect(b.smtp.connections).toEqual([1]);
  b.clock.advance(22_000);
  expect(b.smtp.connections).toEqual([1]);
  b.clock.advance(1_000);
  expect(b.smtp.connections).toEqual([1, 1]);
  expect(b.smtp.delivered).toHaveLength(1);
  // The watchdog is still kicked, and the heartbeat comes a full day after the step.
  const kicks = b.watchdog.length;
  b.clock.advance(24 * 3_600_000 - 30_000);
  expect(b.watchdog.length).toBeGreaterThan(kicks + 17_000);
  expect(b.log.some((l) => /alive/.test(l))).toBe(false);
  b.clock.advance(60_000);
  expect(b.log).toContain('queued "Garage is alive"');
});

/** Source files under dir, recursively. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith(".ts") && !p.endsWith(".d.ts") ? [p] : [];
  });
}

test("nothing in src/ calls setTimeout or setInterval except src/platform/timers.ts", () => {
  const root = join(import.meta.dirname, "../../src");
  const offenders = sources(root)
    .filter((p) => !p.endsWith(join("platform", "timers.ts")))
    .filter((p) => /\b(setTimeout|setInterval|clearTimeout|clearInterval|changeInterval)\b/.test(readFileSync(p, "utf8").replace(/\/\/.*|\/\*[\s\S]*?\*\//g, "")));
  expect(offenders).toEqual([]);
  expect(readFileSync(join(root, "platform/timers.ts"), "utf8")).toMatch(/set: setTimeout, clear: clearTimeout/);
});

test("millis() and the limits stay steady when SNTP fires every timer at the step (whole firmware)", () => {
  const b = bootFirmware({ start: 5000, config: testConfig((c) => (c.alerts[0].cooldownSeconds = 600)) });
  b.clock.advance(10_000);
  expect(b.api.millis()).toBe(10_000);
  b.pins.edge("D4", true);
  b.clock.sntp(TODAY);
  b.clock.advance(5_000);
  const m = b.api.millis();
  expect(m).toBeGreaterThanOrEqual(10_000);
  expect(m).toBeLessThanOrEqual(15_000);
  b.pins.edge("D4", false); // within the 10 min cooldown by the steady clock
  expect((b.api.status() as any).rules.door).toMatch(/^held: cooldown/);
});
