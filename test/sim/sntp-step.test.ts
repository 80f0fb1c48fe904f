// SNTP steps the board's clock from 1970 to today, and Espruino keeps timers as time remaining reduced
// by how far the clock moved (jsiIdle): every pending timer fires at once at the first sync. The
// simulator does the same by default; the firmware re-arms such timers (src/platform/timers.ts).
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { createSimBoard, type SimBoard } from "../../host-sim/board.ts";
import { startSmtpSink, type SmtpSink } from "../../host-sim/smtp-sink.ts";
import { APP_JS } from "../../tools/build.ts";
import { storageFiles } from "../../tools/flash/payload.ts";
import { testConfig } from "../firmware/harness.ts";
import { bootFixture, makeStorage } from "./helpers.ts";

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function fixture(opts: { sntpJumpFiresTimers?: boolean } = {}): Promise<SimBoard> {
  const board = await bootFixture("sntp-timers", {}, opts);
  cleanup.push(() => board.stop());
  return board;
}

describe("the SNTP clock step", () => {
  it("fires every pending setTimeout at once and each setInterval once, then intervals keep their period", async () => {
    const board = await fixture();
    await board.waitForOutput(/^sim: SNTP: clock set/, 5000);
    await board.waitForOutput(/^fixture: minute timeout$/, 2000);
    await board.waitForOutput(/^fixture: hourly interval$/, 2000);
    await sleep(200);
    expect(board.output.filter((l) => l.startsWith("fixture: ") && l !== "fixture: online")).toEqual(["fixture: minute timeout", "fixture: hourly interval"]);
    expect(board.eval("new Date().getUTCFullYear()")).toBe(new Date().getUTCFullYear());
    expect(board.errors).toEqual([]);
  });

  it("leaves timers alone with sntpJumpFiresTimers: false", async () => {
    const board = await fixture({ sntpJumpFiresTimers: false });
    await board.waitForOutput(/^sim: SNTP: clock set/, 5000);
    await sleep(200);
    expect(board.output.filter((l) => l === "fixture: minute timeout" || l === "fixture: hourly interval")).toEqual([]);
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
