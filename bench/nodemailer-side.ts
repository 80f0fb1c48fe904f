// The nodemailer side of the bench: one message per connection (no pool), a pooled transport, and a
// one-connection batch, all with implicit TLS and an unchecked self-signed certificate.
import nodemailer from "nodemailer";
import { performance } from "node:perf_hooks";
import { FROM, TO } from "./messages.ts";

export interface SmtpTarget {
  port: number;
  user: string;
  password: string;
  /** Envelope/header recipient the server accepts. */
  to?: string;
}

export interface Content {
  subject: string;
  text?: string;
  html?: string;
}

function transportOptions(t: SmtpTarget, pool: boolean) {
  return {
    host: "127.0.0.1",
    port: t.port,
    secure: true,
    auth: t.user ? { user: t.user, pass: t.password } : undefined,
    tls: { rejectUnauthorized: false },
    pool,
    maxConnections: 1,
    maxMessages: Infinity,
    connectionTimeout: 30000,
    greetingTimeout: 30000,
    socketTimeout: 60000,
  };
}

function mail(t: SmtpTarget, c: Content) {
  return { from: FROM, to: t.to ?? TO, subject: c.subject, text: c.text, html: c.html };
}


/** A transport without a pool: every send opens a connection, sends one message, QUITs. */
export function coldNodemailer(t: SmtpTarget) {
  const tr = nodemailer.createTransport(transportOptions(t, false) as never);
  return {
    /** Resolves with performance.now() when sendMail reported the server's 250. */
    async send(c: Content): Promise<number> {
      await tr.sendMail(mail(t, c));
      return performance.now();
    },
    close: () => tr.close(),
  };
}

/** pool: true with one connection that nodemailer keeps open between messages. */
export function pooledNodemailer(t: SmtpTarget) {
  const tr = nodemailer.createTransport(transportOptions(t, true) as never);
  return {
    async send(c: Content): Promise<number> {
      await tr.sendMail(mail(t, c));
      return performance.now();
    },
    /** Queue every message at once; resolves when all were accepted (one connection, maxConnections 1). */
    async sendAll(cs: Content[]): Promise<number> {
      await Promise.all(cs.map((c) => tr.sendMail(mail(t, c))));
      return performance.now();
    },
    close: () => tr.close(),
  };
}
