// End to end through the REAL bundle (firmware/app.js) in the simulator, against the embedded SMTP sink:
// each trigger kind, hostile templates, WiFi lost mid-send, reboot with alerts queued, 451, 550, full outbox, damage.
import { readFileSync } from "node:fs";
import { parse } from "acorn";
import { simple } from "acorn-walk";
import { afterEach, describe, expect, test } from "vitest";
import { startFlightProxy } from "../../bench/flight-proxy.ts";
import { createSimBoard, type SimBoard } from "../../host-sim/board.ts";
import { startSmtpSink, type SmtpSink, type SmtpSinkOptions } from "../../host-sim/smtp-sink.ts";
import type { DeviceConfig, Mailbox } from "../../src/config.ts";
import { APP_JS } from "../../tools/build.ts";
import { storageFiles } from "../../tools/flash/payload.ts";
import { makeStorage, quiescent, until } from "../sim/helpers.ts";
import { crc32 } from "./fakes.ts";
import { testConfig } from "./harness.ts";

/** The bundle under test: firmware/app.js as built by test/global-setup.ts (overridable while developing). */
const APP = process.env.ALERTMAIL_APP_JS ?? APP_JS;
const USER = { user: "alarm", password: "s3cret" };
const cleanup: (() => unknown)[] = [];

let last: SimBoard | undefined;
afterEach(async (ctx) => {
  if (process.env.SIM_DEBUG && last && ctx.task.result?.state === "fail") console.log(last.output.join("\n"));
  while (cleanup.length) await cleanup.pop()!();
});

interface Rig {
  board: SimBoard;
  sink: SmtpSink;
  /** Runs code on the board's console. */
  run(code: string): any;
  /** Polls until the outbox is empty and idle. */
  drained(timeoutMs?: number): Promise<void>;
  subjects(): string[];
}

/**
 * The bundle with every function declaration turned into `let f = function f(){…};`: calling one before
 * its line has run throws, as on Espruino (docs/espruino.md trap 3), where V8 would hoist it.
 */
function withoutHoisting(js: Buffer): Buffer {
  const src = js.toString("latin1");
  const edits: [number, string][] = [];
  simple(parse(src, { ecmaVersion: "latest", sourceType: "script" }), {
    FunctionDeclaration(n: any) {
      edits.push([n.start, `let ${n.id.name}=`], [n.end, ";"]);
    },
  });
  edits.sort((a, b) => b[0] - a[0] || (a[1] === ";" ? 1 : -1));
  let out = src;
  for (const [at, s] of edits) out = out.slice(0, at) + s + out.slice(at);
  return Buffer.from(out, "latin1");
}

async function rig(o: { config?: (c: DeviceConfig) => void; sink?: SmtpSinkOptions; files?: Record<string, string>; wifiDown?: boolean; port?: number; noHoisting?: boolean } = {}): Promise<Rig> {
  const sink = await startSmtpSink({ users: [USER], ...o.sink });
  cleanup.push(() => sink.close());
  const cfg = testConfig((c) => {
    c.smtp.host = "127.0.0.1";
    c.smtp.port = o.port ?? sink.port;
    c.smtp.user = USER.user;
    c.smtp.password = USER.password;
    c.smtp.timeoutSeconds = 10;
    c.outbox = { max: 20, retrySeconds: 1, maxRetrySeconds: 2, coalesceSeconds: 0.3 };
    c.alerts = [];
    o.config?.(c);
  });
  const files: Record<string, Buffer | string> = { ...o.files };
  const app = readFileSync(APP);
  for (const f of storageFiles(o.noHoisting ? withoutHoisting(app) : app, cfg)) files[f.name] = f.data;
  const board = createSimBoard({ storageDir: makeStorage(files) });
  last = board;
  cleanup.push(() => board.stop());
  if (o.wifiDown) board.wifiDown();
  board.boot();
  await board.waitForOutput(/^alertmail: (ready|no configuration|bad configuration)/, 15000);
  const r: Rig = {
    board,
    sink,
    run: (code) => board.eval(code),
    async drained(timeoutMs = 20000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const s = board.eval("alertmail.status()") as any;
        if (s.outbox.queued === 0 && !s.outbox.sending) return;
        if (Date.now() > end) throw new Error("outbox not drained: " + JSON.stringify(s.outbox));
        await sleep(50);
      }
    },
    subjects: () => sink.messages.map((m) => m.parsed.subject ?? ""),
  };
  return r;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every run also checks what the board would die of: uncaught errors and call depth (trap 11). */
function healthy(b: SimBoard) {
  if (process.env.SIM_DEBUG) console.log(`call depth ${b.maxCallDepth}: ${b.deepestStack}; ${JSON.stringify(b.memory())}`);
  expect(b.errors).toEqual([]);
  expect(b.maxCallDepth).toBeLessThanOrEqual(25);
}

const rule = { cooldownSeconds: 0, maxPerHour: 0, to: [] as Mailbox[], digest: false, format: "text" as "text" | "html" };

describe("triggers", () => {
  test("digital: a bouncing switch sends one mail per debounced change; cooldown holds the next", async () => {
    const r = await rig({
      config: (c) => {
        c.alerts = [{ ...rule, name: "door", kind: "digital", pin: "D4", pull: "up", edge: "both", debounceMs: 50, cooldownSeconds: 3600, subject: "{{device}}: door {{state}}", body: "The door is {{state}} ({{count}})." }];
      },
    });
    // Pulled up, the input idles high; contacts bounce on the way down.
    r.board.setPin("D4", false);
    r.board.setPin("D4", true);
    r.board.setPin("D4", false);
    r.board.setPin("D4", true);
    r.board.setPin("D4", false);
    await r.sink.waitForMessages(1, 20000);
    await r.drained();
    expect(r.subjects()).toEqual(["Garage: door low"]);
    r.board.setPin("D4", true);
    await sleep(200);
    const s = r.run("alertmail.status()");
    expect(s.rules.door).toBe("held: cooldown (+1 held back)");
    await r.drained();
    expect(r.sink.messages).toHaveLength(1);
    healthy(r.board);
  });

  test("digital: max per hour stops the third mail of the hour", async () => {
    const r = await rig({
      config: (c) => {
        c.alerts = [{ ...rule, name: "bell", kind: "digital", pin: "D5", pull: "down", edge: "rising", debounceMs: 10, maxPerHour: 2, subject: "bell {{count}}", body: "ring" }];
      },
    });
    for (let i = 0; i < 4; i++) {
      r.board.setPin("D5", true);
      await sleep(60);
      r.board.setPin("D5", false);
      await sleep(60);
    }
    await r.sink.waitForMessages(2, 20000);
    await r.drained();
    expect(r.run("alertmail.status()").rules.bell).toMatch(/ [(][+]2 held back[)]$/);
    expect(r.subjects()).toEqual(["bell 1", "bell 1"]);
    healthy(r.board);
  });

  test("analog: fires above the limit, re-arms only past the hysteresis band", async () => {
    const r = await rig({
      config: (c) => {
        c.alerts = [
          { ...rule, name: "freezer", kind: "analog", pin: "D34", above: -10, below: null, hysteresis: 2, sampleMs: 50, scale: 100, offset: -50, unit: "°C", subject: "{{name}} {{value}} {{unit}} {{state}}", body: "{{value}}" },
        ];
      },
    });
    const steps: [number, boolean][] = [[0.3, false], [0.45, true], [0.39, false], [0.45, false], [0.3, false], [0.42, true]];
    let fired = 0;
    for (const [v, fires] of steps) {
      r.board.setAnalog("D34", v);
      if (fires) await r.board.waitForOutput(/^alertmail: queued "freezer/, 10000);
      else await sleep(300);
      fired += fires ? 1 : 0;
    }
    await r.sink.waitForMessages(fired, 20000);
    await r.drained();
    // 12-bit ADC: 0.45 reads as 1843/4095, so -4.99 °C rather than -5.
    expect(r.subjects()).toEqual(["freezer -4.99 °C above", "freezer -8 °C above"]);
    healthy(r.board);
  });

  test("heartbeat and boot: a restart mail with the reason, then the status every period", async () => {
    const r = await rig({
      files: { amreboot: "new configuration from npm run flash" },
      config: (c) => {
        c.alerts = [
          { ...rule, name: "restart", kind: "boot", subject: "{{device}} restarted", body: "Reason: {{state}}." },
          { ...rule, name: "alive", kind: "heartbeat", everyHours: 1 / 3600, subject: "{{device}} alive", body: "{{value}}" },
        ];
      },
    });
    const [boot, beat] = await r.sink.waitForMessages(2, 20000);
    expect(boot.parsed.subject).toBe("Garage restarted");
    expect(boot.parsed.text).toContain("Reason: new configuration from npm run flash.");
    expect(r.board.storage.names()).not.toContain("amreboot");
    expect(beat.parsed.subject).toBe("Garage alive");
    expect(beat.parsed.text).toMatch(/^up 0 h 0 min, \d+ sent, \d+ queued, last error: no errors/);
    healthy(r.board);
  });
});

describe("Espruino semantics", () => {
  test("without function hoisting every rule kind arms and mails go out", async () => {
    const r = await rig({
      noHoisting: true,
      config: (c) => {
        c.alerts = [
          { ...rule, name: "door", kind: "digital", pin: "D4", pull: "up", edge: "both", debounceMs: 10, subject: "door {{state}}", body: "x" },
          { ...rule, name: "temp", kind: "analog", pin: "D34", above: 2, below: null, hysteresis: 0, sampleMs: 50, scale: 1, offset: 0, unit: "", subject: "temp", body: "x" },
          { ...rule, name: "alive", kind: "heartbeat", everyHours: 1, subject: "alive", body: "{{value}}" },
          { ...rule, name: "restart", kind: "boot", subject: "restart", body: "{{state}}" },
        ];
      },
    });
    expect(r.board.output).toContain("alertmail: ready");
    expect(Object.values(r.run("alertmail.status()").rules)).not.toContainEqual(expect.stringMatching(/not armed/));
    r.run("alertmail.fire('door'); alertmail.fire('alive'); alertmail.test()");
    await r.sink.waitForMessages(4, 20000);
    await r.drained();
    expect(r.subjects().sort()).toEqual(["Garage: test mail", "alive", "door high", "restart"]);
    healthy(r.board);
  });
});

describe("sketch API", () => {
  test("onPin and send from console code, reading pins", async () => {
    const r = await rig();
    r.run(`alertmail.onPin("D6", function (l) { alertmail.send({subject: "pump " + (l ? "on" : "off") + " " + alertmail.digital("D6"), html: "<b>{{device}}</b>", to: "pump@example.com"}); }, {pull: "down", edge: "rising", debounceMs: 10})`);
    r.board.setPin("D6", true);
    const [m] = await r.sink.waitForMessages(1, 20000);
    expect(m.parsed.subject).toBe("pump on true");
    expect(m.parsed.html).toContain("<b>Garage</b>");
    expect(m.envelope.to).toEqual(["pump@example.com", "archive@example.com"]);
    healthy(r.board);
  });
});

describe("templates", () => {
  test("hostile values: escaped in HTML, no extra header or recipient from CR/LF", async () => {
    const evil = 'Ga<script>x</script>rage & "Co"\r\nBcc: victim@example.com';
    const r = await rig({
      config: (c) => {
        c.device.name = evil;
        c.alerts = [{ ...rule, name: "door", kind: "digital", pin: "D4", pull: "up", edge: "both", debounceMs: 10, format: "html", subject: "{{device}}: {{state}}", body: "<p>{{device}} says {{state}}</p>" }];
      },
    });
    r.run("alertmail.fire('door')");
    r.run(`alertmail.send({subject: "x\\r\\nX-Evil: 1\\r\\nBcc: victim@example.com", text: "plain"})`);
    const [html, text] = await r.sink.waitForMessages(2, 20000);
    expect(html.parsed.subject).toBe('Ga<script>x</script>rage & "Co" Bcc: victim@example.com: high'); // pulled up: idles high
    expect(html.parsed.html).toContain("<p>Ga&#60;script&#62;x&#60;/script&#62;rage &#38; &#34;Co&#34;");
    expect(html.parsed.html).not.toContain("<script>");
    for (const m of [html, text]) {
      expect(m.parsed.headers.has("bcc")).toBe(false);
      expect(m.parsed.headers.has("x-evil")).toBe(false);
      expect(m.envelope.to).not.toContain("victim@example.com");
    }
    healthy(r.board);
  });
});

describe("outbox", () => {
  test("WiFi lost mid-send, then back: delivered exactly once", async () => {
    const sink = await startSmtpSink({ users: [USER] });
    cleanup.push(() => sink.close());
    const proxy = await startFlightProxy({ targetPort: sink.port, delayMs: 150 });
    cleanup.push(() => proxy.close());
    const r = await rig({ port: proxy.port });
    r.sink = sink;
    r.run(`alertmail.send({subject: "mid-send", text: "x"})`);
    // The drop must come mid-send: the server has seen MAIL FROM and accepted nothing yet (else the test fails here).
    await until(() => sink.events.some((e) => e.startsWith("mail")), 20000, "the server's MAIL FROM");
    expect(sink.messages).toHaveLength(0);
    r.board.wifiDown();
    await r.board.waitForOutput(/^alertmail: failed "mid-send"/, 20000);
    await sleep(500);
    r.board.wifiUp();
    await sink.waitForMessages(1, 30000);
    // Outbox empty, no socket on the board, every proxied connection closed: no duplicate can still come.
    await quiescent(r.board);
    await until(() => proxy.connections().every((c) => c.closedAt !== null), 10000, "the proxied connections closed");
    expect(sink.messages.map((m) => m.parsed.subject)).toEqual(["mid-send"]);
    healthy(r.board);
  });

  test("a reboot with N alerts queued delivers all N after boot", async () => {
    const r = await rig({ wifiDown: true });
    for (let i = 1; i <= 6; i++) r.run(`alertmail.send({subject: "queued ${i}", text: "x"})`);
    expect(r.run("alertmail.status()").outbox.queued).toBe(6);
    r.board.reboot();
    await r.board.waitForOutput(/^alertmail: ready/, 15000);
    r.board.wifiUp();
    await r.sink.waitForMessages(6, 30000);
    await r.drained();
    expect(r.subjects()).toEqual([1, 2, 3, 4, 5, 6].map((i) => "queued " + i));
    healthy(r.board);
  });

  test("451 then 250: delivered once", async () => {
    const r = await rig({ sink: { faults: { body: "451 4.3.0 try again later" } } });
    r.run(`alertmail.send({subject: "deferred", text: "x"})`);
    await r.board.waitForOutput(/^alertmail: failed "deferred": 451 4.3.0 try again later/, 20000);
    await r.sink.waitForMessages(1, 20000);
    await r.drained();
    expect(r.subjects()).toEqual(["deferred"]);
    expect(r.board.output.some((l) => /^alertmail: sent "deferred" to 2 recipient\(s\): 250/.test(l))).toBe(true);
    healthy(r.board);
  });

  test("a recipient refused with 450 while the other accepted gets the same mail later, alone", async () => {
    const r = await rig({ sink: { faults: [{ at: "rcpt", reply: "450 4.2.1 mailbox busy", times: 1 }] } });
    r.run(`alertmail.send({subject: "split", text: "x"})`);
    await r.board.waitForOutput(/^alertmail: sent "split" to 1 recipient\(s\): 250/, 20000);
    const [first, again] = await r.sink.waitForMessages(2, 20000);
    await r.drained();
    expect(first.envelope.to).toEqual(["archive@example.com"]);
    expect(again.envelope.to).toEqual(["owner@example.com"]);
    expect(again.parsed.messageId).toBe(first.parsed.messageId);
    expect(again.parsed.to).toEqual(first.parsed.to);
    expect(r.sink.messages).toHaveLength(2);
    healthy(r.board);
  });

  test("a 2 KB CJK alert costs about its own size in Storage (the board's JSON.stringify would write 6x) and arrives intact", async () => {
    const r = await rig({ wifiDown: true });
    // "温" is E6 B8 A9: 700 of them are 2100 bytes on the board.
    r.run(`alertmail.send({subject: "\\xe6\\xb8\\xa9 alarm", text: "\\xe6\\xb8\\xa9".repeat(700)})`);
    const names = r.board.storage.names().filter((n) => n.startsWith("amq"));
    expect(names).toHaveLength(1);
    expect(r.board.storage.readBytes(names[0])!.length).toBeLessThan(1.4 * 2100);
    r.board.wifiUp();
    const [m] = await r.sink.waitForMessages(1, 20000);
    expect(m.parsed.subject).toBe("温 alarm");
    expect(m.parsed.text!.trim()).toBe("温".repeat(700));
    await r.drained();
    healthy(r.board);
  });

  test("550: not retried, reported in the next mail", async () => {
    const r = await rig({ sink: { faults: { body: "550 5.7.1 message refused" } } });
    r.run(`alertmail.send({subject: "refused one", text: "x"})`);
    await r.board.waitForOutput(/^alertmail: failed "refused one" permanently: 550 5.7.1 message refused/, 20000);
    await r.drained();
    r.run(`alertmail.send({subject: "next one", text: "x"})`);
    const [m] = await r.sink.waitForMessages(1, 20000);
    expect(m.parsed.subject).toBe("next one");
    expect(m.parsed.text).toContain('Refused: "refused one": 550 5.7.1 message refused');
    await r.drained();
    expect(r.subjects()).toEqual(["next one"]);
    healthy(r.board);
  });

  test("a full outbox drops the oldest and the next mail says how many", async () => {
    const r = await rig({ wifiDown: true, config: (c) => (c.outbox.max = 3) });
    for (let i = 1; i <= 5; i++) r.run(`alertmail.send({subject: "alert ${i}", text: "x"})`);
    r.board.wifiUp();
    await r.sink.waitForMessages(3, 30000);
    await r.drained();
    expect(r.subjects()).toEqual(["alert 3", "alert 4", "alert 5"]);
    expect(r.sink.messages[0].parsed.text).toContain("2 alert(s) dropped: outbox full");
    expect(r.sink.messages[1].parsed.text).not.toContain("dropped");
    healthy(r.board);
  });

  test("a corrupted outbox file: boot continues, the rest is delivered and the damage reported", async () => {
    // An outbox file: a JSON line (subject in base64, n = body bytes, k = CRC-32 of the body, 1 KB pieces folded) then the body.
    const good = JSON.stringify({ r: "", s: btoa("survivor"), h: 0, at: 1, id: "1.a@garage.local", k: crc32("x"), n: 1 }) + "\nx";
    const r = await rig({ files: { amq1: good.slice(0, 30), amq2: "\xff".repeat(64), amq3: good } });
    expect(r.board.output).toContain("alertmail: ready");
    const [m] = await r.sink.waitForMessages(1, 20000);
    expect(m.parsed.subject).toBe("survivor");
    expect(m.parsed.text).toContain("2 damaged record(s) skipped");
    await r.drained();
    expect(r.board.storage.names().filter((n) => n.startsWith("amq"))).toEqual([]);
    healthy(r.board);
  });

  test("alertmail.test() sends now and prints the server's reply", async () => {
    const r = await rig();
    await r.board.waitForOutput(/^sim: SNTP: clock set/, 15000);
    const before = Math.floor(Date.now() / 1000) * 1000; // the Date header has whole seconds
    r.run("alertmail.test()");
    await r.board.waitForOutput(/^alertmail: sent "Garage: test mail" to 2 recipient\(s\): 250/, 20000);
    const m = r.sink.messages[0];
    expect(m.envelope.to).toEqual(["owner@example.com", "archive@example.com"]);
    // The board's clock, in the configured zone (CET: +0100), between the call and the server's acceptance.
    expect(/^Date: (.*)\r$/m.exec(m.raw.toString("latin1"))?.[1]).toMatch(/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d? [A-Z][a-z]{2} 20\d\d \d\d:\d\d:\d\d \+0100$/);
    const date = (m.parsed.headers.get("date") as Date).getTime();
    expect(date).toBeGreaterThanOrEqual(before);
    expect(date).toBeLessThanOrEqual(m.acceptedAt);
    healthy(r.board);
  });

  describe("alerts raised while a session is open join it (the real bundle)", () => {
    /** Raises two alerts from inside the sink the moment it reads the first MAIL FROM: mid-session, never racing. */
    async function joinRig(faults?: SmtpSinkOptions["faults"]) {
      let hook: (() => void) | null = null;
      const connects: string[] = [];
      const r = await rig({
        config: (c) => {
          c.outbox.coalesceSeconds = 0;
          c.smtp.keepAliveSeconds = 0;
        },
        sink: {
          faults,
          transcript: (session, line) => {
            if (line.startsWith("· Connection")) connects.push(session);
            if (/^C: MAIL FROM/i.test(line) && hook) {
              const h = hook;
              hook = null;
              h();
            }
          },
        },
      });
      await r.board.waitForOutput(/^sim: SNTP: clock set/, 15000);
      hook = () => r.run('alertmail.send({subject:"two",text:"2"}),alertmail.send({subject:"three",text:"3"})');
      r.run('alertmail.send({subject:"one",text:"1"})');
      return r;
    }

    test("two alerts raised mid-session go over the same connection, each once", async () => {
      const r = await joinRig();
      await r.sink.waitForMessages(3, 20000);
      await r.drained();
      expect(r.subjects().sort()).toEqual(["one", "three", "two"]);
      expect(r.sink.events.filter((e) => e === "connect")).toHaveLength(1);
      healthy(r.board);
    });

    test("a session that fails midway with alerts joined: nothing lost, nothing sent twice", async () => {
      const r = await joinRig([{ at: "rcpt", disconnect: true, times: 1 }]);
      await r.sink.waitForMessages(3, 20000);
      await r.drained();
      await sleep(500);
      expect(r.subjects().sort()).toEqual(["one", "three", "two"]);
      const ids = r.sink.messages.map((m) => m.parsed.messageId);
      expect(new Set(ids).size).toBe(3);
      healthy(r.board);
    });
  });
});
