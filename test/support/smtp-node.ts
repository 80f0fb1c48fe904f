// Runs the SMTP client on Node through the simulator's Espruino net/tls emulation (host-sim/net.ts):
// latin1 byte strings, ≤536-byte data events, synchronous connect failures, the board's TLS close.
import { createNetModules } from "../../host-sim/net.ts";
import { composeMessage, type MailContent } from "../../src/mime/compose.ts";
import { createTransport } from "../../src/platform/socket.ts";
import { withTranscript } from "../../src/smtp/transcript.ts";
import type { Timers } from "../../src/platform/timers.ts";
import { createSmtpClient, type MailResult, type OutgoingMail, type SmtpClient, type SmtpClientOptions, type SmtpError } from "../../src/smtp/client.ts";

/** UTF-8 text as the byte string the board holds. */
export const bytes = (s: string) => Buffer.from(s, "utf8").toString("latin1");

export const nodeTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (id) => clearTimeout(id),
};

export function boardNet() {
  return createNetModules({
    call: (fn, args) => void fn(...args),
    defer: (fn) => void setImmediate(fn),
    online: () => true,
    print: () => {},
  });
}

/** The client over the emulated sockets; log collects the transcript (src/smtp/transcript.ts). */
export function nodeClient(opts: Partial<SmtpClientOptions> & { port: number }, log?: string[]): SmtpClient {
  const m = boardNet();
  return createSmtpClient(
    {
      host: "127.0.0.1",
      security: "tls",
      user: "",
      password: "",
      trustedRelay: false,
      helo: "board.local",
      keepAliveSeconds: 0,
      timeoutSeconds: 10,
      ...opts,
    },
    log ? withTranscript(createTransport((secure) => (secure ? m.tls : m.net)), (l) => log.push(l)) : createTransport((secure) => (secure ? m.tls : m.net)),
    nodeTimers,
  );
}

export function sendAsync(c: SmtpClient, mails: OutgoingMail[]): Promise<{ err: SmtpError | null; results: MailResult[] }> {
  return new Promise((resolve) => c.send(mails, (err, results) => resolve({ err, results })));
}

/** A composed mail (src/mime) as an OutgoingMail, plus the exact bytes the composer produced. */
export function composedMail(c: Omit<MailContent, "messageId"> & { messageId?: string }, envelopeTo?: string[]): { mail: OutgoingMail; raw: string } {
  const content: MailContent = { messageId: "t" + Math.random().toString(36).slice(2) + "@board.local", ...c };
  const src = composeMessage(content);
  let raw = "";
  for (let p = src(); p !== null; p = src()) raw += p;
  return {
    raw,
    mail: {
      from: content.from.address,
      to: envelopeTo ?? content.to.concat(content.cc).map((x) => x.address),
      body: () => composeMessage(content),
    },
  };
}
