// The real-interpreter lane: firmware/app.js flashed by `npm run flash -- --allow-sim` onto Espruino's
// own interpreter ($ESPRUINO, tools/espruino/build-interpreter.sh), sending to the embedded TLS server
// and to Postfix. Opt-in: without ESPRUINO it says so in one line and nothing runs.
import { simpleParser } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFlightProxy, type FlightProxy } from "../../bench/flight-proxy.ts";
import { startSmtpSink, type ReceivedMail, type SmtpSink } from "../../host-sim/smtp-sink.ts";
import { postfixUnavailable, startPostfix, type Postfix } from "../../tools/postfix/postfix.ts";
import { realInterpreter, startRealBoard, type RealBoard } from "./harness.ts";
import { boardFor, htmlInInterpreter, PASSWORD, USER } from "./measure.ts";

const found = realInterpreter();
const skipped = "skipped" in found ? found.skipped : null;
if (skipped) console.log(skipped);

const LONG = 180000;

/** The same HTML htmlInInterpreter(bytes) builds inside the interpreter. */
function htmlOnHost(bytes: number): string {
  let r = '<html><body><h1>real lane</h1><table border="1">\n';
  let i = 0;
  while (r.length < bytes - 200) {
    r += `<tr><td>sensor ${i}</td><td>${(i * 7) % 100}.${i % 10} C</td><td>ok</td></tr>\n`;
    i++;
  }
  return r + "</table></body></html>\n";
}

async function until<T>(what: string, f: () => T | undefined, timeoutMs = 60000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(skipped !== null)("the firmware on the real interpreter, embedded TLS server (implicit TLS, AUTH)", () => {
  let sink: SmtpSink;
  let proxy: FlightProxy;
  let board: RealBoard;
  const subjects = () => sink.messages.map((m) => m.parsed.subject ?? "");
  const mail = (re: RegExp) => until(`a mail whose subject matches ${re}; got ${JSON.stringify(subjects())}`, () => sink.messages.find((m) => re.test(m.parsed.subject ?? "")));
  const count = (re: RegExp) => subjects().filter((s) => re.test(s)).length;

  beforeAll(async () => {
    sink = await startSmtpSink({ tls: true, users: [{ user: USER, password: PASSWORD }] });
    proxy = await startFlightProxy({ targetPort: sink.port });
    // The shipped board.json's rules; connections kept 20 s so keep-alive reuse can be seen.
    board = await startRealBoard({
      board: boardFor({ port: proxy.port, security: "tls", user: USER, password: PASSWORD }, { smtp: { keepAliveSeconds: 20 } }),
    });
  }, LONG);
  afterAll(async () => {
    await board?.stop();
    await proxy?.close();
    await sink?.close();
  });

  it("runs on an interpreter in the ESP32's variable format (tools/espruino/build-interpreter.sh)", async () => {
    const m = await board.eval<{ total: number; blocksize: number; v: string }>("({total:process.memory().total,blocksize:process.memory().blocksize,v:process.env.VERSION})");
    expect(m).toEqual({ total: 16383, blocksize: 14, v: "2v29" });
  }, LONG);

  it("boots from Storage and sends the boot alert over TLS with AUTH", async () => {
    const m = await mail(/^Garage restarted$/);
    expect(m.secure).toBe(true);
    expect(m.user).toBe(USER);
    expect(m.envelope.to).toEqual(["owner@real.alertmail.local"]);
  }, LONG);

  it("a digital rule: an edge on its pin (through the harness's setWatch stand-in) mails its state", async () => {
    // Pins do nothing on a PC: .boot0 records the firmware's setWatch and __rl.pin() calls it as an edge would.
    expect(await board.eval<number>('__rl.pin("D4",0)')).toBe(1);
    const m = await mail(/^Garage: door /);
    expect(m.parsed.text).toMatch(/^The door switch is \S+ at /);
  }, LONG);

  it("alertmail.test() sends a test mail, and the next alert rides the same kept connection", async () => {
    await board.eval("alertmail.test()");
    const m = await mail(/^Garage: test mail$/);
    expect(m.parsed.text).toMatch(/Test mail from Garage \(127\.0\.0\.1\)/);
    const connections = proxy.connections().length;
    const doors = count(/^Garage: door /);
    // fire() triggers the rule as its input would, past its cooldown.
    await board.eval('alertmail.fire("door")');
    await until("a second door mail", () => count(/^Garage: door /) > doors || undefined);
    expect(proxy.connections().length).toBe(connections);
  }, LONG);

  it("an analog rule: a reading above its threshold mails the scaled value", async () => {
    // freezer: value = analogRead(D34) * 100 - 50, above -10 → 0.6 reads 10 °C.
    await board.eval("__rl.analog.D34=0.6");
    const m = await mail(/^Garage: freezer at 10 °C$/);
    expect(m.parsed.html).toMatch(/The <b>freezer<\/b> reads 10 °C/);
  }, LONG);

  it("a 20 KB HTML alert arrives byte for byte", async () => {
    const n = await board.eval<number>(`(function(){var h=${htmlInInterpreter(20 * 1024)};alertmail.send({subject:"lane 20 KB",html:h});return h.length})()`);
    const m = await mail(/^lane 20 KB$/);
    const html = htmlOnHost(20 * 1024);
    expect(n).toBe(html.length);
    expect(m.parsed.html).toBe(html);
  }, LONG);

  it("an alert the server refuses for now stays in the outbox across load() and goes out after it", async () => {
    sink.inject({ at: "mail", reply: "451 4.3.0 try again later", times: Infinity });
    const from = board.lines.length;
    await board.eval('alertmail.send({subject:"lane across load",text:"kept in flash"})');
    await board.waitForLine(/alertmail: failed "lane across load"/, LONG, from);
    expect(await board.eval<number>("alertmail.status().outbox.queued")).toBe(1);
    sink.clearFaults();
    await board.load();
    const m = await mail(/^lane across load$/);
    expect(m.parsed.text).toMatch(/kept in flash/);
    expect(count(/^lane across load$/)).toBe(1);
  }, LONG);

  it("a restart in the middle of a send loses nothing and sends nothing twice", async () => {
    // Slow the link so the restart lands between MAIL FROM and the end of the message.
    proxy.delayMs = 300;
    const mailsBefore = sink.events.filter((e) => e.startsWith("mail")).length;
    await board.eval('alertmail.send({subject:"lane mid-send",text:"restarted half-way"})');
    await until("the server to see MAIL FROM", () => sink.events.filter((e) => e.startsWith("mail")).length > mailsBefore || undefined);
    expect(count(/^lane mid-send$/)).toBe(0);
    await board.load();
    proxy.delayMs = 0;
    await mail(/^lane mid-send$/);
    await new Promise((r) => setTimeout(r, 2000));
    expect(count(/^lane mid-send$/)).toBe(1);
  }, LONG);
});

const postfixWhy = skipped ?? postfixUnavailable();
if (!skipped && postfixWhy) console.log(`test/real/lane.test.ts: Postfix part skipped: ${postfixWhy}`);

describe.skipIf(postfixWhy !== null)("the firmware on the real interpreter, Postfix (implicit TLS, AUTH, CHUNKING)", () => {
  let pf: Postfix | null = null;
  let board: RealBoard;
  const stored = async () => Promise.all((pf?.messages() ?? []).map((b) => simpleParser(b)));
  const mail = async (re: RegExp) => {
    const end = Date.now() + 60000;
    for (;;) {
      const m = (await stored()).find((x) => re.test(x.subject ?? ""));
      if (m) return m;
      if (Date.now() > end) throw new Error(`Postfix got no mail matching ${re}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  beforeAll(async () => {
    pf = await startPostfix();
    if (!pf) return;
    board = await startRealBoard({ board: boardFor({ port: pf.tlsPort, security: "tls", user: pf.user, password: pf.password }) });
  }, LONG);
  afterAll(async () => {
    await board?.stop();
    await pf?.stop();
  });

  it("delivers the boot alert, a test mail and a 20 KB HTML alert", async (ctx) => {
    if (!pf) return ctx.skip();
    await mail(/^Garage restarted$/);
    await board.eval("alertmail.test()");
    await mail(/^Garage: test mail$/);
    await board.eval(`(function(){var h=${htmlInInterpreter(20 * 1024)};alertmail.send({subject:"lane Postfix 20 KB",html:h})})()`);
    const m = await mail(/^lane Postfix 20 KB$/);
    expect(m.html).toBe(htmlOnHost(20 * 1024));
  }, LONG);
});

export type { ReceivedMail };
