// SNTP steps the board's clock from 1970 to today, and Espruino keeps timers as time remaining reduced
// by how far the clock moved (jsiIdle): every pending timer fires at once at the first sync, and an
// interval (time + interval after each run) runs again at every idle pass until it has caught up. The
// simulator does the same by default; the firmware re-arms such timers (src/platform/timers.ts).
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { createSimBoard, type SimBoard } from "../../host-sim/board.ts";
import { startSmtpSink, type SmtpSink } from "../../host-sim/smtp-sink.ts";
import { APP_JS } from "../../tools/build.ts";
import { storageFiles } from "../../tools/flash/payload.ts";
import { testConfig } from "../firmware/harness.ts";
import { MAX_CATCH_UP_RUNS } from "../../host-sim/timers.ts";
import { bootFixture, makeStorage, until } from "./helpers.ts";

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function fixture(opts: { sntpJumpFiresTimers?: boolean } = {}, files: Record<string, string> = {}): Promise<SimBoard> {
  const board = await bootFixture("sntp-timers", files, opts);
  cleanup.push(() => board.stop());
  return board;
}
const fired = (b: SimBoard, line: string) => b.output.filter((l) => l === line).length;

describe("the SNTP clock step", () => {
  it("fires every pending setTimeout at once, and runs an interval at each idle pass until it has caught up", async () => {
    // 25 years: the step from 1970 (56 years and counting) leaves it 2 periods behind: 2 runs, as jsiIdle makes them.
    const board = await fixture({}, { period: String(25 * 365 * 86400000) });
    await board.waitForOutput(/^sim: SNTP: clock set/, 5000);
    await board.waitForOutput(/^fixture: minute timeout$/, 2000);
    await sleep(200);
    expect(fired(board, "fixture: minute timeout")).toBe(1);
    expect(fired(board, "fixture: interval")).toBe(2);
    expect(board.eval("new Date().getUTCFullYear()")).toBe(new Date().getUTCFullYear());
    expect(board.errors).toEqual([]);
  });

  it("says so when an interval is too far behind to replay every run (an hourly one: ~490,000 runs)", async () => {
    const board = await fixture();
    const said = await board.waitForOutput(/^sim: SNTP clock step: setInterval #\d+ \(every 3600000 ms\) is \d+ periods behind/, 5000);
    expect(Number(/is (\d+) periods/.exec(said)![1])).toBeGreaterThan(400000);
    await until(() => fired(board, "fixture: interval") >= MAX_CATCH_UP_RUNS, 5000, "the catch-up runs");
    await sleep(100);
    expect(fired(board, "fixture: interval")).toBe(MAX_CATCH_UP_RUNS);
    expect(fired(board, "fixture: minute timeout")).toBe(1);
  });

  it("leaves timers alone with sntpJumpFiresTimers: false", async () => {
    const board = await fixture({ sntpJumpFiresTimers: false });
    await board.waitForOutput(/^sim: SNTP: clock set/, 5000);
    await sleep(200);
    expect(fired(board, "fixture: minute timeout") + fired(board, "fixture: interval")).toBe(0);
  });

  it("the firmware rides it out: no mail, no error, and a mail afterwards still goes out", async () => {
    const sink: SmtpSink = await startSmtpSink({ users: [{ user: "alarm", password: "s3cret" }] });
    cleanup.push(() => sink.close());
    const cfg = testConfig((c) => {
      c.smtp.port = sink.port;
      c.smtp.user = "alarm";
      c.smtp.password = "s3cret";
      c.smtp.timeoutSeconds = 10;
      // A heartbeat pending at the step would mail at boot if the step fired it.
      c.alerts = [{ name: "alive", kind: "heartbeat", everyHours: 1, subject: "alive", body: "{{value}}", cooldownSeconds: 0, maxPerHour: 0, to: [], digest: false, format: "text" }];
    });
    expect(cfg.alerts.length).toBeGreaterThan(0);
    const files: Record<string, Buffer> = {};
    for (const f of storageFiles(readFileSync(APP_JS), cfg)) files[f.name] = f.data;
    const board = createSimBoard({ storageDir: makeStorage(files) });
    cleanup.push(() => board.stop());
    board.boot();
    await board.waitForOutput(/^alertmail: ready/, 15000);
    await board.waitForOutput(/^sim: SNTP: clock set/, 10000);
    await sleep(500);
    expect(board.output.some((l) => /^sim: SNTP clock step .* fired at once/.test(l))).toBe(true);
    // Without the firmware's re-arming the step runs the heartbeat's timer: `alertmail: queued "alive"`.
    expect(board.output.filter((l) => /^alertmail: (queued|sent|failed)/.test(l))).toEqual([]);
    expect(sink.messages).toHaveLength(0);
    expect(board.errors).toEqual([]);
    board.eval('alertmail.send({subject: "after the step", text: "x"})');
    const [mail] = await sink.waitForMessages(1, 20000);
    expect(mail!.parsed.subject).toBe("after the step");
    expect(board.errors).toEqual([]);
  }, 60000);
});
