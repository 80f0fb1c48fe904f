// SMTP client: sends a batch of mails over one connection at the RFC floor of round trips.
import type { Transport } from "../platform/socket.ts";
import type { Timers } from "../platform/timers.ts";

export interface SmtpClientOptions {
  host: string;
  port: number;
  /** true = implicit TLS (RFC 8314). */
  secure: boolean;
  user: string;
  /** "" = no AUTH. */
  password: string;
  /** May AUTH go over a plain connection (trusted relay). */
  allowPlainAuth: boolean;
  /** EHLO name. */
  helo: string;
  /** Keep the connection this long after a batch; 0 = QUIT at once. */
  keepAliveMs: number;
  /** Greeting / per-reply / data-phase timeout. */
  timeoutMs: number;
  /** Transcript, both directions, AUTH redacted. */
  log?: (line: string) => void;
}

export interface OutgoingMail {
  /** Envelope sender (addr-spec). */
  from: string;
  /** Envelope recipients (addr-spec). */
  to: string[];
  /** Returns a FRESH piece source each call; each piece ≤ ~2 KB, CRLF, not dot-stuffed; null = end. */
  body: () => () => string | null;
}

/** An Error with these fields set (never a subclass). */
export interface SmtpError extends Error {
  code: "ECONNECTION" | "ETIMEDOUT" | "ETLS" | "EAUTH" | "EENVELOPE" | "EMESSAGE" | "EPROTOCOL" | "ECONFIG";
  response: string;
  responseCode: number;
  command: string;
  transient: boolean;
}

export interface MailResult {
  accepted: string[];
  rejected: { address: string; response: string }[];
  response: string;
  error: SmtpError | null;
}

export interface SmtpClient {
  /** results[i] exists for every mail that got a definite answer; a mail without one was not sent. */
  send(mails: OutgoingMail[], done: (err: SmtpError | null, results: MailResult[]) => void): void;
  /** Ends a kept-alive connection (QUIT) and clears every timer. Safe to call twice. */
  close(): void;
}

export function createSmtpClient(opts: SmtpClientOptions, transport: Transport, timers: Timers): SmtpClient {
  // Placeholder until the session lands: every send fails as not sent.
  return {
    send: function (mails, done) {
      const e = new Error("SMTP client not built yet") as SmtpError;
      e.code = "ECONFIG";
      e.transient = true;
      timers.set(function () {
        done(e, []);
      }, 0);
    },
    close: function () {},
  };
}
