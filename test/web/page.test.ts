// `npm start -- --web`: the page in a real Chromium (Debian's chromium, driven by playwright-core; no browser
// download). A user flips the door switch and reads the rendered alert in the inbox; pulls WiFi, raises an
// alert and sees it wait in the outbox until WiFi is back; reboots the board mid-send and loses nothing;
// and gets a clear message for bad input. The run also takes the README's screenshot (docs/web.png).
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { APP_JS, ROOT } from "../../tools/build.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const haveBrowser = existsSync(CHROMIUM);
/** In CI, after .ci/run installed Chromium, a missing browser is a failure, not a skip. */
const mustRun = process.env.CI === "true" && process.env.ALERTMAIL_CHROMIUM === "installed";
if (!haveBrowser) {
  console.log(
    mustRun
      ? `web page tests: FAILED to find Chromium at ${CHROMIUM} although .ci/run installed it`
      : `web page tests: skipped, no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`,
  );
}

test.runIf(!haveBrowser && mustRun)("Chromium is there when .ci/run installed it", () => {
  expect(existsSync(CHROMIUM), `${CHROMIUM} is missing although .ci/run installed chromium`).toBe(true);
});

describe.runIf(haveBrowser)("the simulator's web page in Chromium", () => {
  let dir = "";
  let sim: ChildProcessWithoutNullStreams;
  const out = { text: "" };
  let url = "";
  let ctx: BrowserContext;
  let page: Page;
  /** A server a mail's HTML tries to load an image from: it must never be asked. */
  let trap: Server;
  const trapHits: string[] = [];
  /** Script errors on the page and console errors (a refused load would be one): none expected. */
  const pageErrors: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "alertmail-web-"));
    trap = createServer((req, res) => {
      trapHits.push(req.url ?? "");
      res.end();
    });
    await new Promise<void>((r) => trap.listen(0, "127.0.0.1", () => r()));
    const trapUrl = `http://127.0.0.1:${(trap.address() as AddressInfo).port}`;
    const app = join(dir, "app.js");
    writeFileSync(app, readFileSync(APP_JS)); // a snapshot: other runs may rebuild firmware/app.js meanwhile
    const board = {
      device: { name: "Bench", timezone: "Europe/Paris" },
      wifi: { ssid: "bench-wifi", password: "bench-wifi-password" },
      smtp: {
        host: "smtp.example.com",
        port: 465,
        security: "tls",
        user: "bench@example.com",
        password: "s3cret-smtp-pass",
        from: "Bench alarm <bench@example.com>",
        to: ["Owner <owner@example.com>"],
      },
      alerts: [
        {
          name: "door",
          kind: "digital",
          pin: "D4",
          cooldownSeconds: 0,
          format: "html",
          subject: "{{device}}: door {{state}}",
          body:
            `<p>The <b>{{name}}</b> switch is <i>{{state}}</i>.</p><p id="probe">no script ran</p>` +
            `<script>document.getElementById("probe").textContent = "a script ran"</script><img src="${trapUrl}/remote.png" alt="remote">`,
        },
        {
          name: "freezer",
          kind: "analog",
          pin: "D34",
          above: -10,
          hysteresis: 2,
          scale: 100,
          offset: -50,
          unit: "°C",
          sampleMs: 200,
          subject: "{{device}}: {{name}} at {{value}} {{unit}}",
          body: "The {{name}} reads {{value}} {{unit}}.",
        },
        { name: "restart", kind: "boot", subject: "{{device}} restarted", body: "{{device}} restarted ({{state}})." },
      ],
      outbox: { coalesceSeconds: 0, retrySeconds: 2, maxRetrySeconds: 4 },
    };
    writeFileSync(join(dir, "board.json"), JSON.stringify(board, null, 2));

    sim = spawn(process.execPath, ["--import", "tsx", join(ROOT, "host-sim", "cli.ts"), "--app", app, "--board", join(dir, "board.json"), "--web", "0", "--quiet"], { cwd: ROOT });
    sim.stdout.on("data", (d) => (out.text += d));
    sim.stderr.on("data", (d) => (out.text += d));
    const m = await waitForOutput(/web: .* on (http:\/\/127\.0\.0\.1:\d+\/)/, 60000);
    url = m[1];

    mkdirSync(join(dir, "profile"));
    ctx = await chromium.launchPersistentContext(join(dir, "profile"), {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: { width: 1440, height: 1000 },
      acceptDownloads: true,
    });
    page = ctx.pages()[0] ?? (await ctx.newPage());
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    page.on("console", (m) => m.type() === "error" && pageErrors.push(m.text()));
    await page.goto(url);
    await page.locator("#link", { hasText: /^live$/ }).waitFor({ timeout: 15000 });
  }, 120000);

  afterAll(async () => {
    await ctx?.close();
    if (sim && sim.exitCode === null) {
      sim.kill("SIGINT");
      await new Promise((r) => sim.once("close", r));
    }
    await new Promise((r) => trap?.close(r));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function waitForOutput(re: RegExp, ms: number): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const end = Date.now() + ms;
      const tick = () => {
        const m = re.exec(out.text);
        if (m) return resolve(m);
        if (sim.exitCode !== null || Date.now() > end) return reject(new Error(`no ${re} in the simulator's output:\n${out.text}`));
        setTimeout(tick, 50);
      };
      tick();
    });
  }
  const inboxRow = (subject: string | RegExp) =>
    page.locator("#inbox tr.mail", { has: page.locator("td.subject", { hasText: typeof subject === "string" ? new RegExp(`^${subject}$`) : subject }) });
  const pathOf = (subject: string) => page.locator("#paths li", { hasText: subject });

  test("flip the door switch: the alert arrives in the inbox, its HTML rendered with no script run and nothing remote loaded", async () => {
    const door = page.getByTestId("switch-door");
    await expect.poll(() => door.isChecked()).toBe(true); // pull-up: the switch rests high
    await door.click();
    await inboxRow("Bench: door low").waitFor({ timeout: 30000 });
    await inboxRow("Bench: door low").click();

    const frame = page.frameLocator("#mail-html");
    await expect.poll(() => frame.locator("b").textContent(), { timeout: 10000 }).toBe("door");
    expect(await frame.locator("i").textContent()).toBe("low");
    expect(await frame.locator("#probe").textContent()).toBe("no script ran");
    expect(await page.getAttribute("#mail-html", "sandbox")).toBe("");
    const html = await page.request.get(new URL("/api/mails/2/html", url).href);
    expect(html.headers()["content-security-policy"]).toMatch(/default-src 'none'.*sandbox/);
    expect(trapHits).toEqual([]);
    // Chromium says why: the sandbox refused the script, the CSP the remote image.
    await expect.poll(() => pageErrors.join("\n")).toMatch(/Blocked script execution in '[^']*\/api\/mails\/2\/html' because the document's frame is sandboxed/);
    await expect.poll(() => pageErrors.join("\n")).toMatch(/Loading the image 'http:\/\/127\.0\.0\.1:\d+\/remote\.png' violates the following Content Security Policy directive/);

    // The header row and the other tabs.
    const row = inboxRow("Bench: door low");
    expect(await row.locator("td").first().textContent()).toBe("Bench alarm");
    expect(await row.locator("td").first().getAttribute("title")).toBe('"Bench alarm" <bench@example.com>');
    expect(await row.locator("td").nth(1).getAttribute("title")).toContain("envelope: owner@example.com");
    await page.click(".tabs button[data-tab=headers]");
    expect(await page.textContent("#mail-headers")).toMatch(/^Subject: Bench: door low$/m);
    await page.click(".tabs button[data-tab=raw]");
    expect(await page.textContent("#mail-raw")).toContain("Content-Type: text/html");
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
    expect(readFileSync((await download.path())!, "utf8")).toMatch(/^Subject: Bench: door low\r$/m);

    // Its path in the log: raised, stored, sent with the server's 250; the transcript hides the login.
    const path = pathOf("Bench: door low");
    await expect.poll(() => path.getAttribute("data-state")).toBe("sent");
    expect(await path.textContent()).toMatch(/raised and stored .* in amq\d+ .*→ sent .*: 250 /);
    await path.getByRole("button", { name: "transcript" }).click();
    await expect.poll(() => page.textContent("#transcript")).toContain("C: AUTH PLAIN /* secured */");
    const transcript = (await page.textContent("#transcript"))!;
    expect(transcript).toMatch(/S: 250 2\.0\.0 Ok/);
    expect(transcript).not.toContain("s3cret-smtp-pass");
    expect(transcript).not.toContain(Buffer.from("\0bench@example.com\0s3cret-smtp-pass").toString("base64"));
  }, 90000);

  test("pull WiFi, raise an alert: it waits in Storage; restore WiFi: it is delivered", async () => {
    await page.click("#wifi");
    await expect.poll(() => page.textContent("#wifi-state")).toBe("WiFi down");
    await page.fill("[data-rule=freezer] input[type=number]", "25");
    await page.click("[data-rule=freezer] button");
    await expect.poll(() => page.textContent("[data-rule=freezer] .value")).toBe("25 °C");

    // raw 0.75, which the board's 12-bit ADC reads as 3071/4095: 24.99 °C
    expect(await page.textContent("[data-rule=freezer] .reads")).toContain("reads 24.99 °C");
    const subject = "Bench: freezer at 24.99 °C";
    await expect.poll(() => page.textContent("#outbox"), { timeout: 15000 }).toContain(subject);
    expect(await page.textContent("#outbox")).toContain("next try: when WiFi is back");
    expect(await pathOf(subject).getAttribute("data-state")).toBe("stored");
    expect(await inboxRow(subject).count()).toBe(0);

    await page.click("#wifi");
    await inboxRow(subject).waitFor({ timeout: 60000 });
    await expect.poll(() => pathOf(subject).getAttribute("data-state")).toBe("sent");
    await expect.poll(() => page.textContent("#outbox")).toContain("empty");
    // The rule's last outcome, as alertmail.status() says it (UTF-8 shown as text, as on a console).
    await expect.poll(() => page.textContent("[data-rule=freezer] .result")).toMatch(/^last: sent "Bench: freezer at 24\.99 °C" to 1 recipient\(s\): 250 /);
  }, 90000);

  test("reboot mid-send: the board restarts during DATA and the alert is still delivered, once", async () => {
    if ((await page.textContent("#wifi-state")) !== "WiFi up") await page.click("#wifi");
    await page.click("#reboot-data");
    await expect.poll(() => page.textContent("#reboot-data")).toContain("armed");
    const door = page.getByTestId("switch-door");
    await door.click(); // back to high
    const subject = "Bench: door high";
    await inboxRow(subject).waitFor({ timeout: 60000 });
    // The board did reboot during that send: the log says so, and a session ended right after DATA without a 250.
    expect(await page.textContent("#log")).toContain("reboot (reset button at DATA (web page))");
    await expect.poll(() => page.textContent("#boots")).toMatch(/boot #2/);
    await expect.poll(() => pathOf(subject).getAttribute("data-state")).toBe("sent");
    expect(await pathOf(subject).textContent()).toMatch(/raised and stored .* board restarted \(reset button at DATA \(web page\)\); the alert stays in Storage → sent .*: 250 /);
    expect(await inboxRow(subject).count()).toBe(1);
    await inboxRow("Bench restarted").first().waitFor(); // the boot alert of the reboot, as on the board

    // The server's side of the cut session: DATA and its 354, then the connection went, no 250.
    const cut = await page.evaluate(async () => {
      const st = await (await fetch("/api/state")).json();
      const all = await Promise.all(st.sessions.map(async (x: { id: string }) => (await fetch(`/api/sessions/${x.id}`)).json()));
      return all.map((x: { lines: { text: string }[] }) => x.lines.map((l) => l.text)).filter((l: string[]) => l.includes("C: DATA") && !l.some((t) => /^S: 250 2\.0\.0 Ok/.test(t)));
    });
    expect(cut.length).toBe(1);
    expect(cut[0]).toContain("S: 354 End data with <CR><LF>.<CR><LF>");
  }, 90000);

  test("a 451 at RCPT: the alert is retried with the server's reason, then sent", async () => {
    await page.selectOption("#fault-step", "rcpt");
    await page.click("[data-fault='451']");
    await expect.poll(() => page.textContent("#faults")).toBe("armed: 451 at rcpt");
    await page.getByTestId("switch-door").click(); // to low
    const path = page.locator("#paths li").first();
    await expect.poll(() => path.textContent(), { timeout: 30000 }).toMatch(/failed: 451 4\.3\.0 Try again later \(fault from the web page\)/);
    await expect.poll(() => path.getAttribute("data-state"), { timeout: 60000 }).toBe("sent");
    expect(await path.textContent()).toContain("Bench: door low");
    await expect.poll(() => page.textContent("#faults")).toBe("");
  }, 90000);

  test("drop mid-DATA: the send fails with the socket's reason, is retried and sent", async () => {
    await page.click("[data-fault='drop']");
    await expect.poll(() => page.textContent("#faults")).toBe("armed: drop mid-DATA");
    await page.getByTestId("switch-door").click(); // to high
    const path = page.locator("#paths li").first();
    await expect.poll(() => path.textContent()).toContain("Bench: door high");
    await expect.poll(() => path.textContent(), { timeout: 30000 }).toMatch(/failed: /);
    await expect.poll(() => path.getAttribute("data-state"), { timeout: 60000 }).toBe("sent");
    await expect.poll(() => page.textContent("#faults")).toBe("");
  }, 90000);

  test("a power cut with an alert waiting in Storage: after power on it is delivered", async () => {
    await page.click("#wifi"); // down: the alert must wait
    await expect.poll(() => page.textContent("#wifi-state")).toBe("WiFi down");
    await page.getByTestId("switch-door").click(); // to low
    await expect.poll(() => page.locator("#paths li").first().textContent()).toContain("Bench: door low");
    const path = page.locator(`#paths li[data-path="${await page.locator("#paths li").first().getAttribute("data-path")}"]`);
    await expect.poll(() => page.textContent("#outbox")).toContain("Bench: door low");
    const mailsBefore = await inboxRow("Bench: door low").count();

    await page.click("#power");
    await expect.poll(() => page.textContent("#power-state")).toBe("power OFF");
    await page.fill("#console-input", "alertmail.status()");
    await page.click("#console-form button");
    await expect.poll(() => page.textContent("#message")).toBe("the board is off (power cut): power it on first");
    await page.click("#wifi"); // the access point comes back while the board is off
    expect(await page.textContent("#outbox")).toContain("Bench: door low"); // Storage kept it

    await page.click("#power");
    await expect.poll(() => page.textContent("#power-state")).toBe("power on");
    await expect.poll(() => inboxRow("Bench: door low").count(), { timeout: 60000 }).toBe(mailsBefore + 1);
    await expect.poll(() => path.getAttribute("data-state")).toBe("sent");
    expect(await path.textContent()).toMatch(/power cut; the alert stays in Storage → sent .*: 250 /);
  }, 90000);

  test("bad input gets a clear message and the page keeps working", async () => {
    await page.fill("[data-rule=freezer] input[type=number]", "500");
    await page.click("[data-rule=freezer] button");
    await expect.poll(() => page.textContent("#message")).toMatch(/freezer: 500 °C is outside what D34 can read: -50 … 50 °C/);
    expect(await page.getAttribute("#message", "class")).toBe("error");

    const unknown = await page.evaluate(async () => {
      const r = await fetch("/api/act", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ do: "input", rule: "garage", level: true }) });
      return { status: r.status, body: await r.json() };
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toBe('no rule named "garage" in board.json (it has: door, freezer, restart)');

    await page.fill("#console-input", "alertmail.status(");
    await page.click("#console-form button");
    await expect.poll(() => page.textContent("#console-out")).toMatch(/Uncaught SyntaxError/);

    // Still alive: the console answers alertmail.status().
    await page.fill("#console-input", "alertmail.status()");
    await page.click("#console-form button");
    await expect.poll(() => page.textContent("#console-out")).toMatch(/"wifi": "up /);
    expect(await page.textContent("#console-out")).toMatch(/"outbox"/);
  }, 60000);

  test("the server answers only for 127.0.0.1 / localhost by name", async () => {
    const port = new URL(url).port;
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, path: "/api/state", headers: { Host: `attacker.example:${port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(421);
  });

  test("the README's screenshot, taken from this run", async () => {
    await page.locator("#message").evaluate((m) => m.setAttribute("hidden", ""));
    await page.fill("[data-rule=freezer] input[type=number]", "");
    await inboxRow("Bench: door low").first().click();
    await page.click(".tabs button[data-tab=html]");
    await expect.poll(() => page.frameLocator("#mail-html").locator("b").textContent()).toBe("door");
    const png = await page.screenshot({ path: join(ROOT, "docs", "web.png") });
    expect(png.length).toBeGreaterThan(10000);
    // The whole run, on the page's side: no script error, nothing missing; only what the mail's sandbox and
    // CSP blocked and the 400 answers to bad input.
    const expected = /status of 400|^Blocked script execution in '[^']*\/api\/mails\/\d+\/html'|^Loading the image '[^']*\/remote\.png' violates/;
    expect(pageErrors.filter((e) => !expected.test(e))).toEqual([]);
  }, 60000);
});
