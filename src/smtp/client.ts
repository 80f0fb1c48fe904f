// SMTP client (RFC 5321): sends a batch of mails over one connection at the RFC floor of round trips:
// EHLO, AUTH, then per mail {MAIL, RCPT…, DATA} (PIPELINING, RFC 2920) or {MAIL, RCPT…, BDAT… LAST}
// (CHUNKING, RFC 3030), QUIT riding on the last group. A state machine with a named phase (connect → ehlo
// [→ helo] → mail → quit) and one queue of expected replies (a handler and a command name per reply the
// server owes, with the bytes not yet written), fed reply by reply; mails may join a running batch (add).
import type { Mailbox, SmtpSettings } from "../config.ts";
import type { MailContent } from "../mime/compose.ts";
import type { Socket, Transport } from "../platform/socket.ts";
import type { Timers } from "../platform/timers.ts";
import { createDataStuffer } from "./data-stuffer.ts";
import { createReplyParser } from "./reply-parser.ts";
import { smtpError, startTlsHint, type SmtpError } from "./smtp-error.ts";
import { base64 } from "../platform/base64.ts";

/** Largest single write: the board copies each write and sends it in 536-byte pieces (docs/espruino.md §2). */
export const MAX_WRITE = 512;

/**
 * The configuration's smtp section as it is (src/config.ts): security "tls" = implicit TLS (RFC 8314);
 * password "" = no AUTH; trustedRelay = AUTH may go over a plain connection; keepAliveSeconds 0 = QUIT
 * at once; timeoutSeconds = greeting / per-reply / data-phase timeout. A transcript: smtp/transcript.ts.
 */
export type SmtpClientOptions = Pick<SmtpSettings, "host" | "port" | "security" | "user" | "password" | "trustedRelay" | "helo" | "keepAliveSeconds" | "timeoutSeconds">;

export interface OutgoingMail {
  /** Envelope sender (addr-spec). */
  from: string;
  /** Envelope recipients (addr-spec). */
  to: string[];
  /** Returns a FRESH piece source each call; each piece ≤ ~2 KB, CRLF, not dot-stuffed; null = end. */
  body: () => () => string | null;
  /** What the message is made from (mime/compose.ts MailContent, plus Bcc): for a transport that is not SMTP (src/api). */
  content?: MailContent & { bcc: Mailbox[] };
}

export type { SmtpError } from "./smtp-error.ts";

export interface MailResult {
  accepted: string[];
  rejected: { address: string; response: string }[];
  response: string;
  error: SmtpError | null;
}

export interface SmtpClient {
  /** results[i] exists for every mail that got a definite answer; a mail without one was not sent. */
  send(mails: OutgoingMail[], done: (err: SmtpError | null, results: MailResult[]) => void): void;
  /**
   * Joins a mail to the batch being sent (its MAIL/RCPT/DATA or BDAT group is pipelined onto the open
   * session; its result is results[its index] in that batch's done). false: no batch can take it now
   * (none runs, or QUIT is already on its way): send it in a batch of its own.
   */
  add(mail: OutgoingMail): boolean;
  /** Ends a kept-alive connection (QUIT) and clears every timer. Safe to call twice. */
  close(): void;
}

type OnReply = (code: number, text: string) => void;
/** A reply the server owes: its handler, the command's name, its bytes until written. */
type Owed = { f: OnReply; n: string; b: string | null };

const ignore: OnReply = function () {};
// Error codes used more than once (one string each in the bundle).
const ECONNECTION = "ECONNECTION";
const ECONFIG = "ECONFIG";
const EPROTOCOL = "EPROTOCOL";
const EENVELOPE = "EENVELOPE";


/**
 * onIdle: called when the client holds nothing any more (no batch, no socket, no close awaited), so its
 * owner may drop it: a client's closures cost ~330 variables, held only while mail moves.
 */
export function createSmtpClient(opts: SmtpClientOptions, transport: Transport, timers: Timers, onIdle?: () => void): SmtpClient {
  const secure = opts.security == "tls";
  // Variables set before their first use (by connect(), send() or the body setup) have no initializer:
  // every byte of the bundle is RAM on the board.
  let sock: Socket | null | undefined;
  /** Id of the current connection: events of older sockets are ignored. */
  let conn = 0;
  // The connection's one timer (undefined = none): it runs onDue at wall time `due`. Moving the
  // deadline later costs no timer call; the timer, when it fires early, sleeps for the rest.
  let timer: any;
  let due: number;
  let onDue: (() => void) | undefined;
  const now = timers.now || Date.now;
  /** EHLO keywords (upper case) → their parameters. */
  let ext: { [k: string]: string[] };
  let pipe = false;
  let chunking = false;
  /**
   * The session's phase, named: "connect" (no greeting yet), "ehlo", "helo" (EHLO refused, RFC 5321 §4.1.4),
   * "mail" (greeted: AUTH and mail transactions), "quit" (QUIT written: nothing more may join).
   */
  let phase = "connect";
  let needRset = false;
  /** The batch started on a kept-alive connection and no reply came yet: a failure reconnects once. */
  let reused = false;
  /**
   * The one queue of expected replies, in order: per command its handler, its name (for errors; AUTH
   * payloads never) and its bytes until written (null after). The first `inflight` are written.
   */
  let owed: Owed[] = [];
  let inflight = 0;
  // The one body being written: the final reply's handler (null = none), its piece source, bytes
  // ready (dot-stuffed for DATA, raw for BDAT; at most about 2 × MAX_WRITE), end seen, DATA stuffer.
  let body: OnReply | null | undefined;
  let bodySrc: () => string | null;
  let bodyCur: string;
  let bodyEof: boolean;
  let bodyStuff: ((piece: string | null) => string) | null;
  let drainWait = false;
  /** DATA is queued and its 354 has not come: nothing may be written before that mail's body. */
  let awaiting354 = false;
  /** Id of a socket we ended whose close has not come yet; a new connection waits for it. */
  let closing = 0;
  // The batch.
  let mails: OutgoingMail[] = [];
  let results: MailResult[] = [];
  /** Mails whose commands were queued (or that failed before); mails with a result. */
  let started = 0;
  let answered = 0;
  let cb: ((err: SmtpError | null, results: MailResult[]) => void) | null | undefined;
  /** onIdle was called since the last send(). */
  let told = false;

  function disarm() {
    if (timer !== undefined) timers.clear(timer);
    timer = onDue = undefined;
  }
  function fire() {
    timer = undefined;
    const left = due - now();
    if (left > 0) timer = timers.set(fire, left);
    else onDue!();
  }
  /** Runs fn ms from now instead of what was due; the timer is set again only to fire earlier. */
  function arm(ms: number, fn: () => void) {
    const t = now() + ms;
    if (t < due) disarm();
    due = t;
    onDue = fn;
    if (timer === undefined) timer = timers.set(fire, ms);
  }
  function timedOut() {
    fail(smtpError("ETIMEDOUT", "no reply in " + opts.timeoutSeconds + " s", 0, "", owedName()));
  }
  /** The command whose reply is awaited first ("" when none). */
  function owedName(): string {
    return owed.length ? owed[0].n : "";
  }
  function armReply() {
    arm(opts.timeoutSeconds * 1000, timedOut);
  }
  function write(s: string) {
    // Writing after close throws on the board; the close event (or the timer) then ends the session.
    try {
      if (sock) sock.write(s);
    } catch (x) {}
  }
  /** Queues bytes that the server answers with one reply, handled by fn. */
  function queue(bytes: string, fn: OnReply, name: string) {
    owed.push({ f: fn, n: name, b: bytes });
  }
  function cmd(line: string, fn: OnReply, data?: string) {
    queue(line + "\r\n" + (data || ""), fn, line.split(" ")[0]);
  }
  /** Writes the queued commands: all of them when pipelining, else one when nothing is in flight. */
  function flush() {
    const left = owed.length - inflight;
    const n = pipe ? left : inflight ? 0 : left && 1;
    if (!n) return;
    let out = "";
    for (let i = inflight; i < inflight + n; i++) {
      out += owed[i].b;
      owed[i].b = null;
    }
    inflight += n;
    write(out);
    armReply();
  }
  function drop() {
    const old = conn++;
    disarm();
    const s = sock;
    sock = null;
    owed = [];
    inflight = 0;
    body = null;
    drainWait = awaiting354 = false;
    if (s) closing = old;
    try {
      if (s) s.end();
    } catch (x) {}
  }
  function reopen() {
    closing = 0;
    connect();
  }
  /**
   * Connects once the socket we ended last has closed: the board holds one TLS session at a time
   * (~39 KB, docs/espruino.md §2). Waits at most 2 s for that close.
   */
  function open() {
    if (!closing) return connect();
    arm(2000, reopen);
  }
  /** Ends the batch: done() runs from a fresh timer, never inside a socket event or send(). */
  function finish(e: SmtpError | null) {
    const f = cb;
    const res = results;
    cb = null;
    if (f)
      timers.set(function () {
        f(e, res);
        idle();
      }, 0);
  }
  function idle() {
    if (onIdle && !cb && !sock && !closing && !told) {
      told = true;
      onIdle();
    }
  }
  function fail(e: SmtpError) {
    const retry = reused && cb;
    reused = false;
    drop();
    if (!cb) return;
    // Replies out of step: which mail a 250 belonged to is unknown, so none of the batch counts as sent
    // (a resend carries the same Message-ID).
    if (e.code === EPROTOCOL) {
      results = [];
      answered = 0;
    }
    if (retry) {
      started = 0;
      open();
      return;
    }
    finish(answered === mails.length ? null : e);
  }

  function onReply(code: number, text: string) {
    const id = conn;
    if (!inflight) {
      // Unsolicited: a 421 before an idle close, or a confused server.
      if (cb) fail(smtpError(EPROTOCOL, "unexpected reply: " + text, code, text));
      else drop();
      return;
    }
    inflight--;
    const o = owed.shift()!;
    const fn = o.f;
    const name = o.n;
    // 421: the server is closing the channel (RFC 5321 §3.8), whatever it was asked.
    if (code === 421 && name !== "QUIT") return fail(smtpError(ECONNECTION, "server closing: " + text, code, text, name));
    reused = false;
    fn(code, text);
    if (id !== conn) return;
    flush();
    // Nothing owed and no body: the batch is over and advance() armed the keep-alive wait instead.
    if (inflight || body) armReply();
  }

  function connect() {
    const id = ++conn;
    ext = {};
    pipe = chunking = needRset = false;
    phase = "connect";
    owed = [{ f: onGreeting, n: "CONNECT", b: null }];
    inflight = 1;
    // Replies still buffered in an old connection's parser must not reach the new one.
    const feed = createReplyParser(
      function (c, t) {
        if (id === conn) onReply(c, t);
      },
      function (m) {
        if (id === conn) fail(smtpError(EPROTOCOL, m, 0, "", owedName()));
      },
    );
    armReply();
    try {
      sock = transport.connect(opts.host, opts.port, secure, {
        data: function (d) {
          if (id === conn) feed(d);
        },
        drain: function () {
          if (id !== conn || !drainWait) return;
          drainWait = false;
          armReply();
          pump();
        },
        error: function (e) {
          // -0x7280 (MBEDTLS_ERR_SSL_WRONG_VERSION_NUMBER): the server answered the handshake in plain text.
          if (id === conn) fail(e.code === -29312 ? smtpError("ETLS", "TLS handshake failed: " + startTlsHint()) : smtpError(ECONNECTION, "network error: " + e.message + (e.code ? " (" + e.code + ")" : "")));
        },
        close: function () {
          if (id === closing) {
            closing = 0;
            // open() is waiting for this close (drop() disarms that wait).
            if (onDue === reopen) connect();
          }
          if (id === conn) {
            sock = null;
            // A failed TLS handshake on the board is end + close(false), no error event (docs/espruino.md §2).
            fail(secure && phase == "connect" ? smtpError("ETLS", "TLS handshake failed (" + startTlsHint() + "?)") : smtpError(ECONNECTION, "closed by server", 0, "", owedName()));
          }
          idle();
        },
      });
    } catch (x: any) {
      fail(smtpError(ECONNECTION, "cannot connect to " + opts.host + ":" + opts.port + ": " + ((x && x.message) || x)));
    }
  }

  function onGreeting(code: number, text: string) {
    phase = "ehlo";
    if (code !== 220) return fail(smtpError(ECONNECTION, "server refused: " + text, code, text, "CONNECT"));
    cmd("EHLO " + opts.helo, onEhlo);
  }
  function onEhlo(code: number, text: string) {
    if (code === 250) {
      // RFC 5321 §4.1.1.1: "250-keyword params" lines after the first; old servers write AUTH=LOGIN.
      if (phase == "ehlo") text.split("\n").forEach(function (l, i) {
        const w = l.slice(4).toUpperCase().replace("=", " ").split(" ");
        if (i) ext[w[0]] = (ext[w[0]] || []).concat(w.slice(1));
      });
      pipe = !!ext.PIPELINING;
      chunking = pipe && !!ext.CHUNKING;
      phase = "mail";
      return auth();
    }
    // RFC 5321 §4.1.4: a server that does not know EHLO answers 5xx; HELO is the fallback.
    if (code >= 500 && phase == "ehlo") {
      phase = "helo";
      return cmd("HELO " + opts.helo, onEhlo);
    }
    fail(smtpError(EPROTOCOL, "EHLO refused: " + text, code, text, phase == "helo" ? "HELO" : "EHLO"));
  }

  function auth() {
    const u = opts.user;
    const p = opts.password;
    const m = ext.AUTH || [];
    if (!p) return advance();
    // RFC 4954 + RFC 4616: PLAIN with an initial response costs one turn; LOGIN three.
    // bundle-check-ok: needle-indexOf (m is an Array: exact match)
    if (m.indexOf("PLAIN") >= 0) return cmd("AUTH PLAIN " + base64("\0" + u + "\0" + p), onAuth);
    // bundle-check-ok: needle-indexOf (m is an Array: exact match)
    if (m.indexOf("LOGIN") < 0) return fail(smtpError("EAUTH", "no AUTH PLAIN/LOGIN", 0, "", "AUTH"));
    // The secrets are queued under the name "AUTH": an error's `command` must not carry them.
    cmd("AUTH LOGIN", function (c, t) {
      if (c !== 334) return onAuth(c, t);
      queue(base64(u) + "\r\n", function (c, t) {
        if (c !== 334) return onAuth(c, t);
        queue(base64(p) + "\r\n", onAuth, "AUTH");
      }, "AUTH");
    });
  }
  function onAuth(code: number, text: string) {
    if (code === 235) return advance();
    // 534 5.7.9 / 535 5.7.8: what Gmail and Outlook answer to the account password.
    fail(smtpError("EAUTH", (code === 534 || code === 535 ? "login refused (use an app password): " : "AUTH failed: ") + text, code, text, "AUTH"));
  }

  function advance() {
    while (started < mails.length) {
      if (startMail()) {
        if (body) pump();
        return;
      }
    }
    if (phase != "quit") {
      if (opts.keepAliveSeconds > 0) {
        finish(null);
        arm(opts.keepAliveSeconds * 1000, function () {
          write("QUIT\r\n");
          drop();
        });
      } else {
        phase = "quit";
        cmd("QUIT", onQuit);
      }
    }
  }
  function onQuit(code: number, text: string) {
    // RFC 5321 §4.1.1.10: QUIT is answered 221; anything else was a reply meant for an earlier command.
    if (code !== 221) return fail(smtpError(EPROTOCOL, "replies out of step: " + text, 0, text, "QUIT"));
    drop();
    finish(null);
  }

  function settle(i: number, r: MailResult) {
    if (!results[i]) answered++;
    results[i] = r;
  }

  /**
   * Queues the next mail's envelope (and DATA, or sets up its BDAT body); the caller flushes or pumps.
   * false: nothing queued (the mail was answered before, or cannot be composed: ECONFIG).
   */
  function startMail(): boolean {
    const i = started++;
    const m = mails[i];
    const r: MailResult = { accepted: [], rejected: [], response: "", error: null };
    if (results[i]) return false;
    let src: () => string | null;
    try {
      if (!m.to.length) throw new Error("no recipients");
      src = m.body();
    } catch (x: any) {
      r.error = smtpError(ECONFIG, "bad message: " + ((x && x.message) || x));
      settle(i, r);
      return false;
    }
    let envErr: SmtpError | null = null;
    let rcptCode = 0;
    if (needRset) cmd("RSET", ignore);
    needRset = false;
    // RFC 5321 §4.1.1.2, no space after the colon. No BODY=8BITMIME: src/mime writes 7-bit only.
    cmd("MAIL FROM:<" + m.from + ">", function (c, t) {
      if (c >= 300) envErr = smtpError(EENVELOPE, "sender refused: " + t, c, t, "MAIL");
    });
    m.to.forEach(function (a) {
      cmd("RCPT TO:<" + a + ">", function (c, t) {
        if (c < 300) return r.accepted.push(a);
        r.rejected.push({ address: a, response: t });
        if (!rcptCode || c < 500) rcptCode = c;
      });
    });
    // The reply that settles this mail: to "." (DATA), to BDAT … LAST, or a refused DATA.
    const end = function (c: number, t: string) {
      r.response = t;
      if (!envErr && !r.accepted.length) envErr = smtpError(EENVELOPE, "all recipients refused", rcptCode, r.rejected.length ? r.rejected[0].response : t, "RCPT");
      if (envErr || c >= 300) {
        r.error = envErr || smtpError("EMESSAGE", "message refused: " + t, c, t, chunking ? "BDAT" : "DATA");
        needRset = true;
      }
      settle(i, r);
      if (started === answered) advance();
    };
    const start = function (stuff: ((piece: string | null) => string) | null) {
      body = end;
      bodySrc = src;
      bodyCur = "";
      bodyEof = false;
      bodyStuff = stuff;
    };
    if (chunking) return start(null), true;
    awaiting354 = true;
    cmd("DATA", function (c, t) {
      awaiting354 = false;
      // RFC 5321 §4.1.1.4: only 354 starts the body; a 2xx/3xx here belongs to an earlier command.
      if (c !== 354) return c < 400 ? fail(smtpError(EPROTOCOL, "replies out of step: DATA got " + t, 0, t, "DATA")) : end(c, t);
      // RFC 2920 §3.1: a 354 after every RCPT failed gets an empty message.
      if (envErr || !r.accepted.length) return queue(".\r\n", end, "DATA");
      start(createDataStuffer());
      pump();
    });
    return true;
  }

  /**
   * Writes body bytes until a write has to wait for drain. BDAT (RFC 3030): each slice is a chunk, the
   * last one "BDAT n LAST", and the next mail's envelope follows in the same group. Loops, never recurses.
   */
  function pump() {
    while (body) {
      const end = body;
      const data = !!bodyStuff;
      // Read one piece ahead so the last chunk is known to be last.
      while (bodyCur.length <= MAX_WRITE && !bodyEof) {
        const p = bodySrc();
        if (p === null) bodyEof = true;
        if (bodyStuff) bodyCur += bodyStuff(p);
        else if (p !== null) bodyCur += p;
      }
      const s = bodyCur.slice(0, MAX_WRITE);
      bodyCur = bodyCur.slice(MAX_WRITE);
      if (!bodyEof || bodyCur.length) {
        if (data) write(s);
        else {
          cmd("BDAT " + s.length, ignore, s);
          flush();
        }
        drainWait = true;
        armReply();
        return;
      }
      body = null;
      if (data) queue(s, end, "DATA");
      else cmd("BDAT " + s.length + " LAST", end, s);
      // The next mail's commands join this group: after BDAT … LAST (RFC 3030), or after the message
      // content, which may open a group (RFC 2920 §3.1). A BDAT mail's outcome is unknown here: RSET.
      let next = false;
      while (pipe && !next && started < mails.length) {
        if (!data) needRset = true;
        next = startMail();
      }
      if (!next && started === mails.length && pipe && opts.keepAliveSeconds <= 0) {
        // RFC 2920 §3.1: QUIT may end a group.
        phase = "quit";
        cmd("QUIT", onQuit);
      }
    }
    flush();
  }

  return {
    send: function (list, done) {
      if (cb) {
        const e = smtpError(ECONFIG, "send() while busy");
        e.transient = true;
        timers.set(function () { done(e, []); }, 0);
        return;
      }
      cb = done;
      told = false;
      mails = list;
      results = [];
      started = answered = 0;
      if (!list.length) return finish(null);
      // Never a password in clear over the network unless the relay is marked trusted.
      if (opts.password && !secure && !opts.trustedRelay) {
        drop();
        return finish(smtpError(ECONFIG, "password needs TLS or trustedRelay"));
      }
      if (!sock) return open();
      reused = true;
      advance();
      flush();
    },
    add: function (m) {
      if (!cb || phase == "quit") return false;
      mails.push(m);
      // Otherwise the mail is picked up where the next one would be: after AUTH (advance), after a body
      // (pump), or after the last reply without PIPELINING (end → advance).
      if (pipe && started && started === mails.length - 1 && !body && !awaiting354) {
        // RFC 2920 §3.1: a group may follow the message content; a BDAT mail's outcome is unknown here: RSET.
        if (chunking) needRset = true;
        if (startMail() && body) pump();
        else flush();
      }
      return true;
    },
    close: function () {
      if (sock && !cb) write("QUIT\r\n");
      drop();
      finish(smtpError(ECONNECTION, "closed by the caller"));
    },
  };
}
