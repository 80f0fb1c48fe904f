// End to end: the real firmware/app.js (built by test/global-setup.ts) boots in the simulator with
// board.json installed as flashing installs it, alerts are fired through scenarios, and the mails
// arrive in the embedded SMTP server, checked with mailparser.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { APP_JS, ROOT } from "../../tools/build.ts";
import { finish, main, runDefault, runScenario, setUpRun, type CliOptions, type Run } from "../../host-sim/cli.ts";
import { startSmtpSink } from "../../host-sim/smtp-sink.ts";
import { quiescent, until } from "./helpers.ts";

const TMP = join(ROOT, "test", ".tmp", "sim-e2e");
/** The bundle under test: firmware/app.js as built by test/global-setup.ts (overridable, e.g. to try a broken build). */
const APP = process.env.ALERTMAIL_APP_JS ?? APP_JS;
const quiet = () => {};
let run: Run | null = null;
afterEach(async () => {
  if (run) await finish(run, 0, quiet);
  run = null;
});

/** board.json with some sections changed, written to a temp folder (no board.local.json there). */
function boardVariant(change: (b: any) => void): string {
  mkdirSync(TMP, { recursive: true });
  const b = JSON.parse(readFileSync(join(ROOT, "board.json"), "utf8"));
  b.$schema = join(ROOT, "board.schema.json");
  change(b);
  const file = join(mkdtempSync(join(TMP, "board-")), "board.json");
  writeFileSync(file, JSON.stringify(b, null, 2));
  return file;
}

function options(over: Partial<CliOptions> = {}): CliOptions {
  mkdirSync(TMP, { recursive: true });
  return { real: false, interactive: false, waitMs: 30000, verbose: false, app: APP, runDir: mkdtempSync(join(TMP, "run-")), ...over };
}

async function start(over: Partial<CliOptions> = {}): Promise<Run> {
  const r = await setUpRun(options(over), quiet);
  if (!r) throw new Error("simulator run could not be set up");
  run = r;
  if (!r.ready) throw new Error(`firmware not ready:\n${r.board.output.join("\n")}`);
  return r;
}

/** The boot mail is in AND the firmware heard the 250 (else it rightly sends it again after an outage). */
async function bootMailSent(r: Run) {
  await r.board.waitForOutput(/^alertmail: sent "Garage restarted"/, 30000);
}

/** Fast retries so fault tests don't wait the default 30 s. */
const fastOutbox = (b: any) => (b.outbox = { ...(b.outbox ?? {}), retrySeconds: 1, maxRetrySeconds: 2, coalesceSeconds: 0 });

// Generous: each wait inside has its own limit; a loaded shared machine may be slow.
describe("the real firmware in the simulator", { timeout: 150000 }, () => {
  it("delivers one mail per alert of the shipped board.json, with its subject, recipients and parts", async () => {
    const r = await start();
    const { ok, rows } = await runDefault(r, { waitMs: 30000 }, quiet);
    expect(rows.map((x) => x.alert)).toEqual(["restart", "door", "freezer", "daily"]);
    const byAlert = Object.fromEntries(rows.map((x) => [x.alert, x.mail!]));
    expect(byAlert.restart.parsed.subject).toBe("Garage restarted");
    expect(byAlert.door.parsed.subject).toMatch(/^Garage: door /);
    expect(byAlert.freezer.parsed.subject).toMatch(/^Garage: freezer at -?\d+(\.\d+)? °C$/);
    expect(byAlert.daily.parsed.subject).toBe("Garage is alive");
    for (const x of rows) {
      const m = x.mail!;
      expect(m.envelope.to).toEqual(["owner@example.com"]);
      expect(m.envelope.from).toBe("alarm@example.com");
      expect(m.parsed.from?.value[0]).toEqual({ name: "Garage alarm", address: "alarm@example.com" });
      expect(m.parsed.to && !Array.isArray(m.parsed.to) ? m.parsed.to.value.map((a) => a.address) : []).toEqual(["owner@example.com"]);
      expect(m.parsed.messageId).toMatch(/^<.+@.+>$/);
      expect(m.parsed.text?.trim().length).toBeGreaterThan(0);
      expect(m.user).toBe("alarm@example.com");
    }
    // The html alert carries both parts; the text ones only text.
    expect(byAlert.freezer.parsed.html).toMatch(/<b>freezer<\/b>/);
    expect(byAlert.freezer.parsed.text).toContain("freezer");
    expect(byAlert.daily.parsed.html).toBe(false);
    expect(ok).toBe(true);
    expect(r.board.errors).toEqual([]);
    expect(r.board.maxCallDepth).toBeLessThanOrEqual(25);
  });

  it("keeps an alert through a WiFi outage and sends it after reconnecting by itself", async () => {
    const r = await start({ board: boardVariant(fastOutbox), scenario: "inline" });
    await bootMailSent(r);
    let upAt = 0;
    r.board.onOutput((l) => {
      if (l.includes("WiFi access point up")) upAt = Date.now();
    });
    const { mails } = await runScenario(
      r,
      { events: [{ at: 0, wifi: "down" }, { at: 200, fire: "daily" }, { at: 1500, wifi: "up" }], expectMails: 2, settleMs: 60000 },
      options(),
      quiet,
    );
    expect(mails.map((m) => m.parsed.subject)).toEqual(["Garage restarted", "Garage is alive"]);
    // Queued while down, sent only after the access point came back (the firmware reconnected itself).
    expect(r.board.output.findIndex((l) => l.startsWith('alertmail: queued "Garage is alive"'))).toBeLessThan(
      r.board.output.findIndex((l) => l.includes("WiFi access point up")),
    );
    expect(upAt).toBeGreaterThan(0);
    expect(mails[1].acceptedAt).toBeGreaterThanOrEqual(upAt);
  });

  it("retries after a 421 at connect and a 451 at RCPT, and delivers once", async () => {
    const r = await start({ board: boardVariant(fastOutbox), scenario: "inline" });
    await bootMailSent(r);
    r.sink!.inject({ at: "connect", reply: "421 4.3.2 try again later" });
    r.sink!.inject({ at: "rcpt", reply: "451 4.3.0 greylisted" });
    r.board.eval('alertmail.fire("daily")');
    await r.sink!.waitForMessages(2, 60000);
    expect(r.sink!.events.filter((e) => e.startsWith("fault"))).toEqual(["fault connect 421 4.3.2 try again later", "fault rcpt 451 4.3.0 greylisted"]);
    // Nothing left to send and no connection open: a duplicate is now impossible, or already in the sink.
    await quiescent(r.board);
    expect(r.sink!.messages.map((m) => m.parsed.subject)).toEqual(["Garage restarted", "Garage is alive"]);
  });

  it("sends what was queued before a reboot after it, from the same Storage", async () => {
    const r = await start({ board: boardVariant(fastOutbox), scenario: "inline" });
    await bootMailSent(r);
    r.board.wifiDown();
    r.board.eval('alertmail.fire("daily")');
    await r.board.waitForOutput(/alertmail: queued "Garage is alive"/, 5000);
    r.board.wifiUp();
    r.board.reboot("test");
    await until(() => r.sink!.messages.some((m) => m.parsed.subject === "Garage is alive"), 60000, "the queued mail after reboot");
    expect(r.board.boots).toBe(2);
  });
});

describe("npm start --real", { timeout: 150000 }, () => {
  it("keeps board.json's server and counts the firmware's sent lines (here a local server stands in for the real one)", async () => {
    const real = await startSmtpSink({ users: [{ user: "alarm@example.com", password: "real-password" }] });
    try {
      const board = boardVariant((b) => {
        b.smtp.host = "127.0.0.1";
        b.smtp.port = real.port;
        b.smtp.password = "real-password";
      });
      const r = await start({ board, real: true });
      expect(r.sink).toBeNull();
      const { ok, rows } = await runDefault(r, { waitMs: 30000 }, quiet);
      expect(rows.map((x) => x.sentLine?.replace(/: 250 .*$/, ""))).toEqual([
        'alertmail: sent "Garage restarted" to 1 recipient(s)',
        'alertmail: sent "Garage: door low" to 1 recipient(s)',
        expect.stringMatching(/^alertmail: sent "Garage: freezer at /),
        'alertmail: sent "Garage is alive" to 1 recipient(s)',
      ]);
      expect(real.messages).toHaveLength(4);
      expect(ok).toBe(true);
    } finally {
      await real.close();
    }
  });
});

describe("npm start", () => {
  it("refuses an invalid board.json with the reason and exit code 1, before booting anything", async () => {
    const lines: string[] = [];
    const code = await main(["--quiet", "--board", boardVariant((b) => (b.smtp.port = "x"))], (l = "") => lines.push(l));
    expect(code).toBe(1);
    expect(lines.join("\n")).toMatch(/smtp\.port: found "x"/);
    expect(lines.join("\n")).not.toContain("embedded SMTP server");
  });

  it("exits 0 on a clean checkout's board.json and lists every delivered mail", () => {
    const p = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "host-sim", "cli.ts"), "--quiet"], { cwd: ROOT, encoding: "utf8", timeout: 120000 });
    expect(p.stdout).toMatch(/NOTE: the firmware is pointed at 127\.0\.0\.1:\d+ instead of smtp\.example\.com:465/);
    expect(p.stdout).toContain("── 4 of 4 alert mails delivered ──");
    expect(p.stdout.match(/^✔ /gm)).toHaveLength(4);
    expect(p.stdout.match(/saved +sim-runs\/.+\/mail\/\d+\.eml/g)).toHaveLength(4);
    expect(p.status).toBe(0);
  }, 150000);

  it("--scenario plays the shipped WiFi-outage example and exits 0 with its mails", () => {
    const file = join(ROOT, "host-sim", "scenarios", "wifi-outage.json");
    const p = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "host-sim", "cli.ts"), "--scenario", file, "--quiet", "--app", APP_JS], { cwd: ROOT, encoding: "utf8", timeout: 140000 });
    expect(p.stdout).toContain("sim: t=6000 ms: WiFi access point down");
    expect(p.stdout).toContain("── 2 mail(s) received ──");
    expect(p.stdout).toMatch(/subject +Garage: door /);
    expect(p.status).toBe(0);
  }, 150000);

  it("--interactive fires an alert typed on stdin and lists the mail", () => {
    const input = "fire daily\nwait 2 60\nmails\nquit\n";
    const p = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "host-sim", "cli.ts"), "--interactive", "--quiet", "--app", APP_JS], { cwd: ROOT, encoding: "utf8", input, timeout: 120000 });
    expect(p.stdout).toContain("2 mail(s) in");
    expect(p.stdout).toMatch(/^ {2}2\. Garage is alive → owner@example\.com \(\d+ bytes\) sim-runs\/.+\.eml$/m);
    expect(p.status).toBe(0);
  }, 150000);
});
