// The real firmware/app.js (+ the amapi.js Storage module the flash payload adds) on the simulated board,
// sending through each preset's HTTPS mock: rules and templates render the alert, the outbox keeps it,
// the API transport delivers it; 401/422 are reported once and not retried, 429 and a dropped connection
// are retried with backoff, and an alert waiting at a reboot is delivered after it.
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startApiSink, type ApiSink } from "../../host-sim/api/api-sink.ts";
import type { ProviderName } from "../../host-sim/api/providers.ts";
import { createSimBoard, type SimBoard } from "../../host-sim/board.ts";
import type { BoardApi } from "../../tools/config/api-spec.ts";
import { validateBoard } from "../../tools/config/validate.ts";
import { storageFiles } from "../../tools/flash/payload.ts";
import { ROOT } from "../../tools/build.ts";
import { ACCENTS, CJK, EMOJI } from "./helpers.ts";

/** The bundle under test (API_FW_APP: another build of the firmware, e.g. a branch being integrated). */
const APP = process.env.API_FW_APP ?? join(ROOT, "firmware", "app.js");
const KEY = "fw-key-7";
const TMP = join(ROOT, "test", ".tmp", "api");

const presets: { provider: ProviderName; api: (port: number) => BoardApi }[] = [
  { provider: "postmark", api: (port) => ({ provider: "postmark", key: KEY, url: `https://127.0.0.1:${port}/email` }) },
  { provider: "mailtrap", api: (port) => ({ provider: "mailtrap", key: KEY, url: `https://127.0.0.1:${port}/api/send` }) },
  { provider: "sendgrid", api: (port) => ({ provider: "sendgrid", key: KEY, url: `https://127.0.0.1:${port}/v3/mail/send` }) },
  { provider: "mailgun", api: (port) => ({ provider: "mailgun", key: KEY, domain: "mg.example.com", url: `https://127.0.0.1:${port}/v3/mg.example.com/messages` }) },
  { provider: "resend", api: (port) => ({ provider: "resend", key: KEY, url: `https://127.0.0.1:${port}/emails` }) },
  {
    provider: "generic",
    api: (port) => ({
      provider: "generic",
      key: KEY,
      url: `https://127.0.0.1:${port}/send`,
      header: "Authorization: Token {{key}}",
      template: '{"from":{{from}},"to":[{{to}}],"cc":[{{cc}}],"bcc":[{{bcc}}],"subject":"{{subject}}","{{kind}}":"{{body}}","ref":"{{id}}"}',
    }),
  },
];

const SUBJECT = `{{device}} ${EMOJI} ${ACCENTS}`;
const BODY = `${ACCENTS}\n${CJK}\n${EMOJI}\n{{name}} {{state}}`;

function boardJson(api: BoardApi) {
  return {
    device: { name: "Garage", timezone: "UTC", watchdogSeconds: 0 },
    wifi: { ssid: "sim-ap", password: "sim-secret" },
    smtp: { from: "Garage alarm <alarm@example.com>", to: ["Zoé Owner <owner@example.com>"], cc: ["cc@example.com"], bcc: ["Hidden <bcc@example.com>"] },
    alerts: [{ kind: "boot", name: "restart", subject: SUBJECT, body: BODY }],
    outbox: { retrySeconds: 1, maxRetrySeconds: 2, coalesceSeconds: 0 },
    api,
  };
}

let sink: ApiSink | undefined;
let board: SimBoard | undefined;
afterEach(async () => {
  board?.stop();
  board = undefined;
  await sink?.close();
  sink = undefined;
});

async function boot(p: (typeof presets)[number], faults: Parameters<typeof startApiSink>[0]["faults"] = []) {
  sink = await startApiSink({ provider: p.provider, key: KEY, domain: "mg.example.com", path: "/send", header: `Authorization: Token ${KEY}`, faults });
  const r = validateBoard(boardJson(p.api(sink.port)));
  if (!r.ok) throw new Error(r.errors.join("\n"));
  mkdirSync(TMP, { recursive: true });
  const dir = mkdtempSync(join(TMP, "fw-"));
  board = createSimBoard({ storageDir: dir });
  for (const f of storageFiles(readFileSync(APP), r.config)) board.storage.writeBytes(f.name, f.data);
  board.boot();
  return board;
}

const line = (b: SimBoard, re: RegExp, ms = 20000) => b.waitForOutput(re, ms);
const rendered = { subject: `Garage ${EMOJI} ${ACCENTS}`, body: `${ACCENTS}\n${CJK}\n${EMOJI}\nrestart power-on or reset` };

describe.skipIf(!existsSync(APP)).each(presets)("$provider: the firmware through the API", (p) => {
  it("sends the boot alert with its template rendered, as the characters written, to to, cc and bcc", async () => {
    const b = await boot(p);
    await line(b, /^alertmail: sent /);
    const m = sink!.messages[0];
    expect(m.parsed.subject).toBe(rendered.subject);
    expect(m.parsed.text?.trim()).toBe(rendered.body);
    expect(m.envelope.to).toEqual(["owner@example.com", "cc@example.com", "bcc@example.com"]);
    expect((m.parsed.to as { value: { name: string }[] }).value[0].name).toBe("Zoé Owner");
    expect(sink!.requests).toHaveLength(1);
    expect(sink!.requests[0].headers["user-agent"]).toBe("Espruino 2v29");
  });

  it("401: reported with the provider's message, not retried, and noted in the next mail", async () => {
    const b = await boot(p, [{ status: 401 }]);
    const failed = await line(b, /^alertmail: failed /);
    expect(failed).toMatch(/permanently: .*401/);
    b.eval('alertmail.send({subject: "after the refusal", text: "next"})');
    await line(b, /^alertmail: sent "after the refusal"/);
    expect(sink!.requests).toHaveLength(2);
    expect(sink!.messages).toHaveLength(1);
    expect(sink!.messages[0].parsed.text).toMatch(/Refused: .*401/);
  });

  it("422: reported with the provider's message and not retried", async () => {
    const b = await boot(p, [{ status: 422, message: "Invalid 'To' address" }]);
    expect(await line(b, /^alertmail: failed /)).toMatch(/permanently: .*422.*Invalid 'To' address/);
    await new Promise((r) => setTimeout(r, 2500)); // longer than a retry would wait
    expect(sink!.requests).toHaveLength(1);
  });

  it("429, then success: retried with backoff and delivered once", async () => {
    const b = await boot(p, [{ status: 429 }]);
    expect(await line(b, /^alertmail: failed /)).toMatch(/429/);
    await line(b, /^alertmail: retry in /);
    await line(b, /^alertmail: sent /);
    expect(sink!.requests.map((r) => r.status)).toEqual([429, p.provider === "sendgrid" ? 202 : 200]);
    expect(sink!.messages).toHaveLength(1);
  });

  it("a dropped connection is retried and the alert delivered", async () => {
    const b = await boot(p, [{ drop: true }]);
    expect(await line(b, /^alertmail: failed /)).toMatch(/network error/);
    await line(b, /^alertmail: sent /);
    expect(sink!.messages).toHaveLength(1);
    expect(sink!.messages[0].parsed.subject).toBe(rendered.subject);
  });
});

describe.skipIf(!existsSync(APP))("nothing is lost across a reboot", () => {
  it("an alert the provider kept refusing with 503 is delivered after a reboot", async () => {
    const b = await boot(presets[0], [{ status: 503, times: Infinity }]);
    await line(b, /^alertmail: retry in /);
    b.reboot();
    sink!.clearFaults();
    await line(b, /^alertmail: sent /);
    await new Promise((r) => setTimeout(r, 1500));
    // The alert raised before the reboot and the new boot alert: both delivered, none twice.
    expect(sink!.messages.length).toBe(2);
  });
});

describe.skipIf(!existsSync(APP))("an api configuration flashed without amapi.js", () => {
  it("says how to fix it at every try, and sends nothing", async () => {
    sink = await startApiSink({ provider: "postmark", key: KEY });
    const r = validateBoard(boardJson(presets[0].api(sink.port)));
    if (!r.ok) throw new Error(r.errors.join("\n"));
    mkdirSync(TMP, { recursive: true });
    board = createSimBoard({ storageDir: mkdtempSync(join(TMP, "fw-")) });
    for (const f of storageFiles(readFileSync(APP), r.config)) if (f.name !== "amapi.js") board.storage.writeBytes(f.name, f.data);
    board.boot();
    await line(board, /^alertmail: no amapi\.js: npm run flash/);
    await line(board, /^alertmail: retry in /);
    expect(sink.requests).toHaveLength(0);
  });
});
