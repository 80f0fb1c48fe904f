// The embedded SMTP server: smtp-server on 127.0.0.1 (implicit TLS by default) that checks AUTH,
// never relays, keeps every message (raw, parsed by mailparser, optionally as .eml) and can inject
// faults per SMTP step so tests and scenarios see 421/451/dropped connections.
import { mkdirSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { format } from "node:util";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer, type SMTPServerSession } from "smtp-server";
import { getSimCert } from "./cert.ts";

export interface ReceivedMail {
  envelope: { from: string; to: string[] };
  /** Exactly the bytes after DATA, dot-unstuffed, without the final dot line. */
  raw: Buffer;
  parsed: ParsedMail;
  emlPath?: string;
  /** ms epoch when the server accepted the end of data. */
  acceptedAt: number;
  /** AUTH user the client logged in as ("" if none). */
  user: string;
  /** true when the session was on TLS. */
  secure: boolean;
}

/** The SMTP step a fault applies to. smtp-server always answers DATA with 354 first, so a "data" or
 * "body" reply both replace the answer to the final dot; a disconnect at "data" drops the connection
 * right after the 354, at "body" once the whole message is in (before the 250). */
export type SinkStep = "connect" | "auth" | "mail" | "rcpt" | "data" | "body";

export interface SinkFault {
  at: SinkStep;
  /** Reply such as "451 4.3.0 try later" or "421 4.3.2 shutting down" (421 closes the connection). */
  reply?: string;
  /** Drop the TCP connection at this step instead of replying. */
  disconnect?: boolean;
  /** How many times the fault fires; default 1; Infinity = always. */
  times?: number;
}

/** Shorthand from the simulator brief: `{rcpt: "451 …", data: "451 …", disconnectAt: "rcpt"}`. */
export interface SinkFaultShorthand {
  connect?: string;
  auth?: string;
  mail?: string;
  rcpt?: string;
  data?: string;
  body?: string;
  disconnectAt?: SinkStep;
  /** Apply every time instead of once. */
  always?: boolean;
}

export interface SmtpSinkOptions {
  /** Accepted credentials; none = AUTH not offered and not required. */
  users?: { user: string; password: string }[];
  /** Advertise PIPELINING (default true). */
  pipelining?: boolean;
  /** Implicit TLS from the first byte (RFC 8314), default true; false = plain SMTP. */
  tls?: boolean;
  /** Folder for one .eml file per message (created if missing). */
  dir?: string;
  /** Largest message accepted (SIZE), default 10 MB. */
  size?: number;
  faults?: SinkFault[] | SinkFaultShorthand;
  /** Called for every accepted message. */
  onMessage?: (m: ReceivedMail) => void;
  /** Server-side transcript lines (commands and faults), for debugging. */
  log?: (line: string) => void;
  /** Every session's protocol lines as smtp-server logs them ("C: …", "S: …", "C: <n bytes of DATA>",
   * "· Connection closed …"; AUTH arguments redacted by smtp-server), keyed by its session id. */
  transcript?: (session: string, line: string) => void;
}

/** A bunyan-style logger for smtp-server that passes each session's protocol lines to `out`. */
function transcriptLogger(out: (session: string, line: string) => void) {
  const protocol = ["command", "send", "data"];
  const notes = ["connection", "close", "auth"];
  const pass = (data: { cid?: string; tnx?: string } | undefined, msg: string, ...args: unknown[]) => {
    if (!data?.cid || !data.tnx) return;
    if (protocol.includes(data.tnx)) out(data.cid, format(msg, ...args));
    else if (notes.includes(data.tnx)) out(data.cid, `· ${format(msg, ...args)}`);
  };
  return { trace: pass, debug: pass, info: pass, warn: pass, error: pass, fatal: pass };
}

export interface SmtpSink {
  port: number;
  messages: ReceivedMail[];
  /** Every step the sink has seen, in order, e.g. "connect", "auth alice", "mail a@x", "rcpt b@y". */
  events: string[];
  waitForMessages(n: number, timeoutMs: number): Promise<ReceivedMail[]>;
  /** Add a fault at run time (scenarios). */
  inject(f: SinkFault): void;
  clearFaults(): void;
  close(): Promise<void>;
}

function expandFaults(f: SmtpSinkOptions["faults"]): SinkFault[] {
  if (!f) return [];
  if (Array.isArray(f)) return f.map((x) => ({ ...x }));
  const times = f.always ? Infinity : 1;
  const out: SinkFault[] = [];
  for (const at of ["connect", "auth", "mail", "rcpt", "data", "body"] as const) {
    const reply = f[at];
    if (reply) out.push({ at, reply, times });
  }
  if (f.disconnectAt) out.push({ at: f.disconnectAt, disconnect: true, times });
  return out;
}

function replyError(reply: string): Error & { responseCode: number } {
  const m = /^(\d{3})[ -]?(.*)$/.exec(reply.trim());
  const e = new Error(m ? m[2] : reply) as Error & { responseCode: number };
  e.responseCode = m ? Number(m[1]) : 451;
  return e;
}

/** Starts the sink on 127.0.0.1, port 0 (an ephemeral port). */
export async function startSmtpSink(opts: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const secure = opts.tls !== false;
  const cert = secure ? await getSimCert() : null;
  const users = opts.users ?? [];
  const faults = expandFaults(opts.faults);
  const messages: ReceivedMail[] = [];
  const events: string[] = [];
  const waiters: (() => void)[] = [];
  const log = opts.log ?? (() => {});
  if (opts.dir) mkdirSync(opts.dir, { recursive: true });

  /** Returns the fault for this step (consuming one use), or null. */
  function takeFault(at: SinkStep): SinkFault | null {
    const i = faults.findIndex((f) => f.at === at && (f.times ?? 1) > 0);
    if (i < 0) return null;
    const f = faults[i];
    f.times = (f.times ?? 1) - 1;
    log(`fault at ${at}: ${f.disconnect ? "disconnect" : f.reply}`);
    events.push(`fault ${at} ${f.disconnect ? "disconnect" : f.reply}`);
    return f;
  }

  function dropConnection(session: SMTPServerSession) {
    for (const c of server.connections as Set<{ id: string; _socket?: { destroy(): void } }>) {
      if (c.id === session.id) c._socket?.destroy();
    }
  }

  /** Applies a fault: calls back with an error reply, or drops the connection; false if none. */
  function applyFault(at: SinkStep, session: SMTPServerSession | null, cb: (err?: Error | null) => void): boolean {
    const f = takeFault(at);
    if (!f) return false;
    if (f.disconnect) {
      if (session) dropConnection(session);
      return true; // never call back: the connection is gone
    }
    cb(replyError(f.reply ?? "451 4.3.0 fault injected"));
    return true;
  }

  const server = new SMTPServer({
    secure,
    key: cert?.key,
    cert: cert?.cert,
    name: "sim.alertmail.local",
    banner: "alertmail simulator",
    size: opts.size ?? 10 * 1024 * 1024,
    authMethods: ["PLAIN", "LOGIN"],
    authOptional: users.length === 0,
    allowInsecureAuth: true,
    disabledCommands: users.length === 0 ? ["AUTH", "STARTTLS"] : ["STARTTLS"],
    hidePIPELINING: opts.pipelining === false,
    logger: opts.transcript ? transcriptLogger(opts.transcript) : false,
    disableReverseLookup: true,
    onConnect(session, cb) {
      events.push("connect");
      log(`connect ${session.remoteAddress}`);
      const f = takeFault("connect");
      if (!f) return cb();
      // A reply (e.g. 421/554) refuses the session; a disconnect drops it before the greeting.
      if (f.disconnect) return void setTimeout(() => dropConnection(session), 0);
      cb(replyError(f.reply ?? "421 4.3.2 fault injected"));
    },
    onAuth(auth, session, cb) {
      events.push(`auth ${auth.username}`);
      if (applyFault("auth", session, cb)) return;
      const ok = users.some((u) => u.user === auth.username && u.password === auth.password);
      log(`auth ${auth.method} ${auth.username}: ${ok ? "ok" : "refused"}`);
      if (!ok) return cb(replyError("535 5.7.8 Authentication credentials invalid"));
      cb(null, { user: auth.username });
    },
    onMailFrom(address, session, cb) {
      events.push(`mail ${address.address}`);
      if (applyFault("mail", session, cb)) return;
      if (users.length && !session.user) return cb(replyError("530 5.7.0 Authentication required"));
      cb();
    },
    onRcptTo(address, session, cb) {
      events.push(`rcpt ${address.address}`);
      if (applyFault("rcpt", session, cb)) return;
      cb();
    },
    onData(stream, session, cb) {
      events.push("data");
      const f = takeFault("data") ?? null;
      if (f?.disconnect) {
        dropConnection(session);
        return;
      }
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        if (f) return cb(replyError(f.reply ?? "451 4.3.0 fault injected"));
        const bodyFault = takeFault("body");
        if (bodyFault?.disconnect) return dropConnection(session);
        if (bodyFault) return cb(replyError(bodyFault.reply ?? "451 4.3.0 fault injected"));
        const raw = Buffer.concat(chunks);
        const acceptedAt = Date.now();
        const envelope = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
        };
        const id = `${acceptedAt}-${messages.length + 1}`;
        simpleParser(raw, { skipImageLinks: true }).then(
          (parsed) => {
            const m: ReceivedMail = {
              envelope,
              raw,
              parsed,
              acceptedAt,
              user: typeof session.user === "string" ? session.user : "",
              secure: session.secure,
            };
            if (opts.dir) {
              m.emlPath = join(opts.dir, `${String(messages.length + 1).padStart(3, "0")}.eml`);
              writeFileSync(m.emlPath, raw);
            }
            messages.push(m);
            events.push(`accepted ${envelope.to.length}`);
            log(`accepted ${raw.length} bytes from ${envelope.from} to ${envelope.to.join(", ")}`);
            opts.onMessage?.(m);
            cb(null, `2.0.0 Ok: queued as ${id}`);
            waiters.splice(0).forEach((w) => w());
          },
          (err: Error) => cb(replyError(`554 5.6.0 unparsable message: ${err.message}`)),
        );
      });
    },
  });

  server.on("error", (e) => log(`server error: ${e.message}`));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;

  return {
    port,
    messages,
    events,
    waitForMessages(n, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (messages.length >= n) {
            clearTimeout(timer);
            resolve(messages.slice(0, n));
            return true;
          }
          return false;
        };
        const timer = setTimeout(() => {
          const i = waiters.indexOf(onNew);
          if (i >= 0) waiters.splice(i, 1);
          reject(new Error(`smtp sink: ${messages.length} of ${n} message(s) after ${timeoutMs} ms`));
        }, timeoutMs);
        const onNew = () => {
          if (!check()) waiters.push(onNew);
        };
        if (!check()) waiters.push(onNew);
      });
    },
    inject(f) {
      faults.push({ ...f });
    },
    clearFaults() {
      faults.splice(0);
    },
    close() {
      return new Promise<void>((resolve) => {
        for (const c of server.connections as Set<{ _socket?: { destroy(): void } }>) c._socket?.destroy();
        server.close(() => resolve());
      });
    },
  };
}
