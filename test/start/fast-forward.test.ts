// --fast (issue 14 item 9): the board clock jumps over idle stretches, so a day of hourly heartbeats runs
// in seconds, while deadlines keep the order and the times they would have in real time.
import { describe, expect, it } from "vitest";
import { createSimClock, QUIET_MS } from "../../host-sim/timers.ts";
import { boardVariant, jsonFile, start } from "./support.ts";

const HOUR = 3600_000;

describe("the simulator's clock", () => {
  it("with fastForward, jumps to each deadline and runs it at its own time, earliest first", async () => {
    const clock = createSimClock({ fastForward: true });
    const t0 = clock.now();
    const seen: [string, number][] = [];
    const done = new Promise<void>((resolve) => {
      clock.at(t0 + 3 * HOUR, () => {
        seen.push(["c", clock.now() - t0]);
        resolve();
      });
      clock.at(t0 + 1 * HOUR, () => {
        seen.push(["a", clock.now() - t0]);
        // Made by a callback, due before "c": still runs before it.
        clock.after(HOUR / 2, () => seen.push(["a2", clock.now() - t0]));
      });
      clock.at(t0 + 2 * HOUR, () => seen.push(["b1", clock.now() - t0]));
      clock.at(t0 + 2 * HOUR, () => seen.push(["b2", clock.now() - t0]));
    });
    await done;
    expect(seen.map(([n]) => n)).toEqual(["a", "a2", "b1", "b2", "c"]);
    // Each ran when the board clock read its due time (jumps land exactly on it; host time adds a little).
    const due: Record<string, number> = { a: HOUR, a2: 1.5 * HOUR, b1: 2 * HOUR, b2: 2 * HOUR, c: 3 * HOUR };
    for (const [n, at] of seen) {
      expect(at, n).toBeGreaterThanOrEqual(due[n]);
      expect(at - due[n], n).toBeLessThan(HOUR / 100);
    }
    expect(clock.jumps).toBeGreaterThanOrEqual(3);
    expect(clock.skippedMs).toBeGreaterThan(2.9 * HOUR);
  });

  it("does not jump while the board is busy (quiet() false, e.g. a socket open)", async () => {
    let quiet = false;
    const clock = createSimClock({ fastForward: true, quiet: () => quiet });
    let fired = false;
    clock.after(HOUR, () => (fired = true));
    await new Promise((r) => setTimeout(r, QUIET_MS * 6));
    expect(fired).toBe(false);
    expect(clock.skippedMs).toBe(0);
    quiet = true;
    await new Promise((r) => setTimeout(r, QUIET_MS * 6));
    expect(fired).toBe(true);
  });

  it("without fastForward it is the host clock: nothing jumps", async () => {
    const clock = createSimClock();
    let fired = false;
    clock.after(HOUR, () => (fired = true));
    await new Promise((r) => setTimeout(r, QUIET_MS * 4));
    expect(fired).toBe(false);
    expect(clock.skippedMs).toBe(0);
    expect(Math.abs(clock.now() - Date.now())).toBeLessThan(5);
  });
});

describe("npm start -- --fast", { timeout: 240000 }, () => {
  it("plays a day of hourly heartbeats with the real firmware: 24 heartbeat mails plus the boot mail", async () => {
    const board = boardVariant((b) => {
      b.alerts = b.alerts.filter((a: any) => a.kind === "boot" || a.kind === "heartbeat");
      b.alerts.find((a: any) => a.kind === "heartbeat").everyHours = 1;
    });
    // One console event at the end of the day; the mails are counted after it.
    const scenario = jsonFile("day.json", { events: [{ at: 24 * HOUR + 60_000, console: "alertmail.status().outbox.sent" }], expectMails: 25, settleMs: 60_000 });
    const r = await start(["--fast", "--board", board, "--scenario", scenario]);
    expect(r.text).toMatch(/── 25 mail\(s\) received ──/);
    const heartbeats = r.lines.filter((l) => /subject +Garage is alive/.test(l));
    expect(heartbeats).toHaveLength(24);
    // Accepted about an hour apart on the board clock.
    const at = r.lines.filter((l) => /^✔ mail \d+: accepted/.test(l)).map((l) => Number(/accepted (\d+) ms/.exec(l)![1]));
    const gaps = at.slice(2).map((t, i) => t - at[i + 1]);
    for (const g of gaps) expect(Math.abs(g - HOUR)).toBeLessThan(5 * 60_000);
    expect(r.text).toMatch(/--fast: \d+ ms of board time, \d+ ms of it jumped/);
    expect(r.code).toBe(0);
  });

  it("is refused with --interactive and --console (it is for scripted runs)", async () => {
    const r = await start(["--fast", "--interactive"]);
    expect(r.code).toBe(1);
    expect(r.text).toMatch(/--fast .* not with --interactive/);
  });
});
