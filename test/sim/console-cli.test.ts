// `npm start -- --console PORT`: the simulator serves the board's console over TCP while it runs, and
// `npm run flash -- --port tcp://127.0.0.1:PORT` flashes it like a real ESP32; Ctrl-C ends the run.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { connect } from "node:net";
import { join } from "node:path";
import { afterEach, expect, test } from "vitest";
import { APP_JS, ROOT } from "../../tools/build.ts";

const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill("SIGKILL");
});

function start(args: string[]) {
  const child = spawn(process.execPath, ["--import", "tsx", ...args], { cwd: ROOT });
  children.push(child);
  const out = { text: "" };
  child.stdout.on("data", (d) => (out.text += d));
  child.stderr.on("data", (d) => (out.text += d));
  const closed = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, out, closed };
}

function waitFor(out: { text: string }, re: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const end = Date.now() + timeoutMs;
    const tick = () => {
      const m = re.exec(out.text);
      if (m) return resolve(m);
      if (Date.now() > end) return reject(new Error(`no ${re} within ${timeoutMs} ms in:\n${out.text}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

test("npm start -- --console 0 prints its port, npm run flash flashes the running board over it, Ctrl-C ends the run", async () => {
  const dir = mkdtempSync(join(tmpdir(), "alertmail-sim-console-"));
  const app = join(dir, "app.js");
  writeFileSync(app, readFileSync(APP_JS)); // a snapshot: other runs may rebuild firmware/app.js meanwhile
  const scenario = join(dir, "idle.json");
  writeFileSync(scenario, JSON.stringify({ events: [], settleMs: 50 }));

  const sim = start([join(ROOT, "host-sim", "cli.ts"), "--app", app, "--scenario", scenario, "--console", "0", "--quiet"]);
  const [, smtpPort] = await waitFor(sim.out, /embedded SMTP server on 127\.0\.0\.1:(\d+)/, 60000);
  const [, port] = await waitFor(sim.out, /sim: console on tcp:\/\/127\.0\.0\.1:(\d+)/, 60000);
  await waitFor(sim.out, /keeps running with its console/, 60000);

  // Flash the shipped board.json pointed at the simulator's own server, as a user would with board.local.json.
  const local = join(dir, "board.local.json");
  writeFileSync(local, JSON.stringify({ smtp: { host: "127.0.0.1", port: Number(smtpPort), security: "tls" } }));
  const flash = start([join(ROOT, "tools", "flash.ts"), "--port", `tcp://127.0.0.1:${port}`, "--board", join(ROOT, "board.json"), "--local", local, "--app", app]);
  const flashCode = await flash.closed;
  expect(flash.out.text).toMatch(/the board says: alertmail: ready/);
  expect(flashCode).toBe(0);

  sim.child.kill("SIGINT");
  const code = await sim.closed;
  expect(sim.out.text).toMatch(/board: 2 boot\(s\)/); // power-on, then the flash's load()
  expect(code).toBe(0);
}, 150000);

test("a config flashed into npm start -- --console reaches the embedded server (said on screen), and the log shows no @am lines", async () => {
  const dir = mkdtempSync(join(tmpdir(), "alertmail-sim-console-"));
  const app = join(dir, "app.js");
  writeFileSync(app, readFileSync(APP_JS));
  const scenario = join(dir, "idle.json");
  writeFileSync(scenario, JSON.stringify({ events: [], settleMs: 50 }));
  // Not --quiet: the board's console lines are the log a person reads.
  const sim = start([join(ROOT, "host-sim", "cli.ts"), "--app", app, "--scenario", scenario, "--console", "0"]);
  const [, smtpPort] = await waitFor(sim.out, /embedded SMTP server on 127\.0\.0\.1:(\d+)/, 60000);
  const [, port] = await waitFor(sim.out, /sim: console on tcp:\/\/127\.0\.0\.1:(\d+)/, 60000);
  await waitFor(sim.out, /keeps running with its console/, 60000);

  // The shipped board.json as it is (smtp.example.com:465), as docs/flashing.md §6 has a user do; no overlay.
  const noLocal = join(dir, "no-board.local.json");
  const flash = start([join(ROOT, "tools", "flash.ts"), "--port", `tcp://127.0.0.1:${port}`, "--board", join(ROOT, "board.json"), "--local", noLocal, "--app", app]);
  expect(await flash.closed).toBe(0);
  await waitFor(sim.out, /sim: NOTE: the flashed alertmail\.json sends to smtp\.example\.com:465 \(tls\); the simulator points it at its embedded server 127\.0\.0\.1:(\d+)/, 30000);
  expect(sim.out.text).toContain(`embedded server 127.0.0.1:${smtpPort}`);

  // A test mail from the flashed board arrives at the embedded server, not at smtp.example.com.
  const sock = connect(Number(port), "127.0.0.1");
  await new Promise((r) => sock.once("connect", r));
  sock.write("alertmail.test()\r\n");
  await waitFor(sim.out, /│ alertmail: sent "Garage: test mail" to 1 recipient\(s\): 250/, 60000);
  sock.destroy();
  expect(sim.out.text).not.toMatch(/cannot connect to smtp\.example\.com/);

  // The flash's step replies are summed up, not shown one line each. A second of quiet or another line
  // between steps closes a summary (on a loaded machine the flash may pause), so add up every summary:
  // by now the test mail's lines have closed the last one.
  await waitFor(sim.out, /sim: console: (\d+) flash step\(s\) answered ok/, 10000);
  const summaries = [...sim.out.text.matchAll(/sim: console: (\d+) flash step\(s\) answered ok/g)].map((m) => Number(m[1]));
  expect(summaries.reduce((a, b) => a + b, 0)).toBeGreaterThan(3);
  expect(summaries.length).toBeLessThan(summaries.reduce((a, b) => a + b, 0));
  expect(sim.out.text).not.toMatch(/│ @am \d+ ok/);

  sim.child.kill("SIGINT");
  expect(await sim.closed).toBe(0);
}, 150000);
