// The same API client fixture on Espruino's own interpreter (the PC build in the ESP32's variable format,
// $ESPRUINO): the real http module, its real TLS, its real byte strings. Skipped when ESPRUINO is not set.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startApiSink, type ApiSink } from "../../host-sim/api/api-sink.ts";
import type { ApiMail } from "../../src/api/request-body.ts";
import type { BoardApi } from "../../tools/config/api-spec.ts";
import { ACCENTS, CJK, EMOJI, fixtureBundle, presetAt, type BatchResult } from "./helpers.ts";

const BIN = process.env.ESPRUINO;
const KEY = "real-key-42";

/** Runs the fixture with the job written to Storage first; resolves with RESULT and the MEM line. */
async function runReal(api: ReturnType<typeof presetAt>, mails: ApiMail[]): Promise<{ result: BatchResult; out: string }> {
  const dir = mkdtempSync(join(tmpdir(), "api-real-"));
  const job = JSON.stringify({ api, mails });
  // Memory: usage after the job is stored (the fixture's own cost is counted from here), then sampled
  // every 5 ms without a collection while the batch runs.
  const pre =
    `require("Storage").write("apijob",${JSON.stringify(job)});` +
    `var __m0=process.memory().usage,__max=0;var __iv=setInterval(function(){var u=process.memory(false).usage;if(u>__max)__max=u},5);` +
    `var __log=console.log;console.log=function(s){if(String(s).indexOf("RESULT ")==0){clearInterval(__iv);__log("MEM "+JSON.stringify({before:__m0,peak:__max,after:process.memory().usage}))}__log(s)};\n`;
  const file = join(dir, "run.js");
  writeFileSync(file, Buffer.concat([Buffer.from(pre, "utf8"), await fixtureBundle()]));
  return new Promise((resolve, reject) => {
    const p = spawn(BIN!, [file], { cwd: dir, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    const timer = setTimeout(() => {
      p.kill("SIGKILL");
      reject(new Error(`no RESULT from the interpreter in 60 s:\n${out}`));
    }, 60000);
    p.stdout.on("data", (d: Buffer) => {
      out += d.toString("latin1");
      const m = /RESULT (.*)\r?\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        p.kill("SIGKILL");
        resolve({ result: JSON.parse(Buffer.from(m[1], "latin1").toString("utf8")), out });
      }
    });
  });
}

const mail: ApiMail = {
  from: { name: "Garage alarm", address: "alarm@example.com" },
  to: [{ name: "Zoé", address: "owner@example.com" }],
  cc: [{ name: "", address: "cc@example.com" }],
  bcc: [],
  subject: `${EMOJI} ${ACCENTS}`,
  text: `${ACCENTS}\n${CJK}\n${EMOJI}\n${"Lorem ipsum dolor sit amet. ".repeat(200)}`,
  messageId: "real.1@garage.local",
};

let sink: ApiSink | undefined;
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

describe.skipIf(!BIN || !existsSync(BIN))("API client on the real Espruino interpreter", () => {
  const cases: { name: string; api: BoardApi }[] = [
    { name: "postmark", api: { provider: "postmark", key: KEY } },
    { name: "mailgun", api: { provider: "mailgun", key: KEY, domain: "mg.example.com" } },
    { name: "resend", api: { provider: "resend", key: KEY } },
  ];
  it.each(cases)("$name: a 5.7 KB alert with accents, CJK and emoji arrives as written", async (c) => {
    sink = await startApiSink({ provider: c.name as "postmark", key: KEY, domain: "mg.example.com" });
    const { result, out } = await runReal(presetAt(c.api, sink.port), [mail]);
    expect(result.results[0]?.error, out).toBeNull();
    const got = sink.messages[0];
    expect(got.parsed.subject).toBe(mail.subject);
    expect(got.parsed.text?.trim()).toBe(mail.text!.trim());
    expect(sink.requests[0].headers["user-agent"]).toBe("Espruino 2v29");
    // The preset's own Host header (the bare API host name), not the board's "127.0.0.1:port".
    expect(sink.requests[0].headers.host).toBe(presetAt(c.api, 1).headers.Host);
    const mem = JSON.parse(/MEM (.*)/.exec(out)![1]);
    console.log(`${c.name}: variables before ${mem.before}, peak while sending ${mem.peak} (TLS included), after ${mem.after}`);
  }, 90000);

  it("postmark: 422 is permanent with Postmark's message", async () => {
    sink = await startApiSink({ provider: "postmark", key: KEY, faults: [{ status: 422, message: "Invalid 'To' address" }] });
    const { result } = await runReal(presetAt({ provider: "postmark", key: KEY }, sink.port), [mail]);
    expect(result.results[0].error).toMatchObject({ status: 422, transient: false });
    expect(result.results[0].error!.message).toContain("Invalid 'To' address");
  }, 90000);

  it("postmark: a connection dropped before the answer is transient", async () => {
    sink = await startApiSink({ provider: "postmark", key: KEY, faults: [{ drop: true }] });
    const { result } = await runReal(presetAt({ provider: "postmark", key: KEY }, sink.port), [mail]);
    expect(result.results[0].error).toMatchObject({ status: 0, transient: true });
  }, 90000);
});
