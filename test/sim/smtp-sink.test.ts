// The embedded SMTP server: implicit TLS, AUTH checked, PIPELINING switchable, messages kept as
// .eml and parsed, faults injected per step (451 once, 421, disconnect).
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import nodemailer from "nodemailer";
import { afterEach, describe, expect, it } from "vitest";
import { ROOT } from "../../tools/build.ts";
import { startSmtpSink, type SmtpSink, type SmtpSinkOptions } from "../../host-sim/smtp-sink.ts";
import * as tls from "node:tls";

const USERS = [{ user: "alarm@example.com", password: "s3cret" }];
let sink: SmtpSink | undefined;
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

async function start(opts: SmtpSinkOptions = {}) {
  sink = await startSmtpSink({ users: USERS, ...opts });
  return sink;
}

function send(s: SmtpSink, over: Record<string, unknown> = {}, auth = { user: USERS[0].user, pass: USERS[0].password }) {
  const t = nodemailer.createTransport({ host: "127.0.0.1", port: s.port, secure: true, auth, tls: { rejectUnauthorized: false } });
  return t.sendMail({ from: "alarm@example.com", to: ["a@example.com", "b@example.com"], subject: "Tür offen", text: "x", ...over });
}

/** The server's EHLO reply lines, read over a raw TLS socket. */
async function ehlo(port: number): Promise<string> {
  const s = tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false });
  let buf = "";
  let step = 0;
  s.on("data", (d) => {
    buf += d.toString("latin1");
    if (step === 0 && /^220 /m.test(buf)) {
      step = 1;
      s.write("EHLO t\r\n");
    } else if (step === 1 && /^250 /m.test(buf)) {
      step = 2;
      s.end("QUIT\r\n");
    }
  });
  s.on("error", () => {});
  await new Promise((r) => s.on("close", r));
  return buf;
}

describe("the embedded SMTP server", () => {
  it("accepts an authenticated TLS message, parses it and saves it as .eml", async () => {
    mkdirSync(join(ROOT, "test", ".tmp"), { recursive: true });
    const dir = mkdtempSync(join(ROOT, "test", ".tmp", "sink-"));
    const s = await start({ dir });
    await send(s, { cc: "c@example.com", html: "<p>hi</p>" });
    const [m] = await s.waitForMessages(1, 5000);
    expect(m.envelope).toEqual({ from: "alarm@example.com", to: ["a@example.com", "b@example.com", "c@example.com"] });
    expect(m.parsed.subject).toBe("Tür offen");
    expect(m.parsed.html).toContain("<p>hi</p>");
    expect(m.secure).toBe(true);
    expect(m.user).toBe(USERS[0].user);
    expect(existsSync(m.emlPath!)).toBe(true);
    expect(readFileSync(m.emlPath!)).toEqual(m.raw);
  });

  it("refuses wrong credentials with 535 and keeps nothing", async () => {
    const s = await start();
    await expect(send(s, {}, { user: USERS[0].user, pass: "wrong" })).rejects.toThrow(/535/);
    expect(s.messages).toHaveLength(0);
  });

  it("advertises PIPELINING unless told not to", async () => {
    expect(await ehlo((await start()).port)).toMatch(/250[- ]PIPELINING/);
    await sink!.close();
    expect(await ehlo((await start({ pipelining: false })).port)).not.toMatch(/PIPELINING/);
  });

  it("answers RCPT with an injected 451 once, then accepts", async () => {
    const s = await start({ faults: { rcpt: "451 4.3.0 try later" } });
    const first = await send(s);
    expect(first.rejected).toEqual(["a@example.com"]);
    expect(first.accepted).toEqual(["b@example.com"]);
    await send(s);
    expect(s.messages.map((m) => m.envelope.to)).toEqual([["b@example.com"], ["a@example.com", "b@example.com"]]);
    expect(s.events).toContain("fault rcpt 451 4.3.0 try later");
  });

  it("drops the connection at the step a disconnect fault names", async () => {
    const s = await start({ faults: [{ at: "body", disconnect: true }] });
    // nodemailer: the connection closed under it mid-message.
    await expect(send(s)).rejects.toMatchObject({ code: "ECONNECTION", message: "Connection closed unexpectedly" });
    expect(s.messages).toHaveLength(0);
    await send(s);
    expect(s.messages).toHaveLength(1);
  });

  it("closes after an injected 421 at connect", async () => {
    const s = await start();
    s.inject({ at: "connect", reply: "421 4.3.2 going down" });
    await expect(send(s)).rejects.toThrow(/421/);
    await send(s);
    expect(s.messages).toHaveLength(1);
  });
});
