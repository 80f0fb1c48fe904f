// The --web page's server without a browser (runs everywhere): it listens on 127.0.0.1, streams the run over
// Server-Sent Events, drives the board through the same inputs as the scenarios, serves a mail's HTML part
// with a CSP that allows no script and no remote load, and answers bad input with a message.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { finish, parseArgs, setUpRun, type Run } from "../../host-sim/cli.ts";
import { prepareWeb, type WebRun } from "../../host-sim/web/run.ts";
import { APP_JS } from "../../tools/build.ts";

let dir = "";
let web: WebRun;
let run: Run;
let serving: Promise<void>;
let base = "";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "alertmail-web-server-"));
  const app = join(dir, "app.js");
  writeFileSync(app, readFileSync(APP_JS)); // a snapshot: other runs may rebuild firmware/app.js meanwhile
  const board = {
    device: { name: "Shed", timezone: "Europe/Paris" },
    wifi: { ssid: "shed-wifi", password: "wifi-password" },
    smtp: { host: "smtp.example.com", port: 465, security: "tls", user: "shed@example.com", password: "smtp-password", from: "Shed <shed@example.com>", to: ["owner@example.com"] },
    alerts: [
      { name: "door", kind: "digital", pin: "D4", cooldownSeconds: 0, format: "html", subject: "{{device}}: door {{state}}", body: "<p>Door <b>{{state}}</b></p>" },
      { name: "gate", kind: "digital", pin: "D5", subject: "{{device}}: gate {{state}}", body: "Gate {{state}}." },
      { name: "tank", kind: "analog", pin: "D35", below: 20, scale: 200, offset: 0, unit: "L", subject: "{{device}}: tank {{value}} {{unit}}", body: "Tank at {{value}} {{unit}}." },
    ],
    outbox: { coalesceSeconds: 0 },
  };
  writeFileSync(join(dir, "board.json"), JSON.stringify(board));
  const opts = parseArgs(["--app", app, "--board", join(dir, "board.json"), "--web", "0", "--quiet"]);
  opts.runDir = join(dir, "run");
  web = prepareWeb(opts);
  const r = await setUpRun(opts, () => {});
  if (!r) throw new Error("the run could not be set up");
  run = r;
  serving = web.serve(run, () => {});
  while (!web.server) await new Promise((res) => setTimeout(res, 20));
  base = web.server.url;
}, 60000);

afterAll(async () => {
  web?.stop();
  await serving;
  if (run) await finish(run, 0, () => {});
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const act = (body: unknown) => fetch(new URL("/api/act", base), { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });

test("it listens on 127.0.0.1 and serves the page with a CSP of its own", async () => {
  expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  const page = await fetch(base);
  expect(page.status).toBe(200);
  expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
  expect(await page.text()).toContain('<script src="/page.js" defer></script>');
});

test("the event stream says hello with the state, then each board line as it is printed, and the mail arrives", async () => {
  const res = await fetch(new URL("/api/events", base));
  expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const reader = res.body!.getReader();
  let text = "";
  const read = async (re: RegExp) => {
    while (!re.test(text)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended before ${re}:\n${text}`);
      text += Buffer.from(value).toString("utf8");
    }
  };
  await read(/^event: hello\ndata: .*\n\n/m);
  const hello = JSON.parse(/^event: hello\ndata: (.*)$/m.exec(text)![1]);
  expect(hello.state.device).toBe("Shed");
  expect(hello.state.levels).toEqual({ door: true, gate: true });

  expect((await act({ do: "input", rule: "door", level: false })).status).toBe(200);
  await read(/event: line\ndata: .*"text":"alertmail: queued \\"Shed: door low\\""/);
  await read(/event: line\ndata: .*"text":"alertmail: sent \\"Shed: door low\\" to 1 recipient\(s\): 250 /);
  await reader.cancel();

  const state = await (await fetch(new URL("/api/state", base))).json();
  const mail = state.mails.find((m: { subject: string }) => m.subject === "Shed: door low");
  expect(mail).toMatchObject({ from: '"Shed" <shed@example.com>', envelopeTo: ["owner@example.com"], html: true });
  const html = await fetch(new URL(`/api/mails/${mail.n}/html`, base));
  expect(html.headers.get("content-security-policy")).toBe("default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; sandbox");
  expect(await html.text()).toContain("Door <b>low</b>");
  // Its path: raised and stored in an outbox file, then sent with the server's 250, in a session whose
  // transcript (the server's own log) hides the login.
  const path = state.paths.find((p: { subject: string }) => p.subject === "Shed: door low");
  expect(path).toMatchObject({ rule: "door", state: "sent", mail: mail.n, failures: [] });
  expect(path.file).toMatch(/^amq\d+$/);
  expect(path.reply).toMatch(/^250 2\.0\.0 Ok: queued as /);
  const session = await (await fetch(new URL(`/api/sessions/${path.session}`, base))).json();
  const lines: string[] = session.lines.map((l: { text: string }) => l.text);
  expect(lines).toContain("C: AUTH PLAIN /* secured */");
  expect(lines).toContain(`S: ${path.reply}`);
  expect(lines.join("\n")).not.toContain("smtp-password");
  expect(lines.join("\n")).not.toContain(Buffer.from("\0shed@example.com\0smtp-password").toString("base64"));

  // The rule's last outcome, as alertmail.status() on the board's console says it.
  expect(state.results.door).toBe(`sent "Shed: door low" to 1 recipient(s): ${path.reply}`);

  const eml = await fetch(new URL(`/api/mails/${mail.n}/eml`, base));
  expect(eml.headers.get("content-disposition")).toMatch(/^attachment; filename="alertmail-\d{3}\.eml"$/);
  expect(await eml.text()).toMatch(/^Subject: Shed: door low\r$/m);
});

test("bad input: a message for each, and the board is left as it was", async () => {
  const cases: [unknown, string][] = [
    [{ do: "input", rule: "garage", level: true }, 'no rule named "garage" in board.json (it has: door, gate, tank)'],
    [{ do: "input", rule: "tank", value: 250 }, "tank: 250 L is outside what D35 can read: 0 … 200 L (analogRead 0..1 × scale 200 + offset 0)"],
    [{ do: "input", rule: "tank", value: "lots" }, 'tank needs a number in L, not "lots"'],
    [{ do: "input", rule: "door", level: "open" }, 'door is a switch on D4: its level is on/off (true/false or 1/0), not "open"'],
    [{ do: "fault", kind: "500" }, 'a server fault is 421, 451 or drop, not "500"'],
    [{ do: "fault", kind: "451", at: "quit" }, 'a fault step is one of connect, mail, rcpt, data, not "quit"'],
    [{ do: "dance" }, 'unknown action "dance"'],
  ];
  const before = await (await fetch(new URL("/api/state", base))).json();
  for (const [body, message] of cases) {
    const r = await act(body);
    expect(r.status).toBe(400);
    expect((await r.json()).error).toBe(message);
  }
  const notJson = await fetch(new URL("/api/act", base), { method: "POST", headers: { "Content-Type": "application/json" }, body: "{oops" });
  expect(await notJson.json()).toEqual({ error: "the request is not JSON" });
  const form = await fetch(new URL("/api/act", base), { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: "do=wifi&up=false" });
  expect(form.status).toBe(415);
  const after = await (await fetch(new URL("/api/state", base))).json();
  expect(after.values).toEqual(before.values);
  expect(after.levels).toEqual(before.levels);
  expect(after.wifi).toBe(true);
});

test("an alert the firmware holds back (cooldown) is shown as the firmware says it", async () => {
  expect((await act({ do: "input", rule: "gate", level: false })).status).toBe(200);
  const sent = async () => (await (await fetch(new URL("/api/state", base))).json()).results.gate as string;
  while (!/^sent /.test(await sent())) await new Promise((r) => setTimeout(r, 50));
  expect((await act({ do: "input", rule: "gate", level: true })).status).toBe(200); // within its 60 s cooldown
  while (!/^held/.test(await sent())) await new Promise((r) => setTimeout(r, 50));
  expect(await sent()).toBe("held: cooldown (+1 held back)");
}, 30000);
