// SMTP client (RFC 5321): sends a batch of mails over one connection at the RFC floor of round trips:
// EHLO, AUTH, then per mail {MAIL, RCPT…, DATA} (PIPELINING, RFC 2920) or {MAIL, RCPT…, BDAT… LAST}
// (CHUNKING, RFC 3030), QUIT riding on the last group; mails may join a running batch (add). One session
// = one named phase, one queue of the replies the server owes (plain data: the command each answers),
// one reader of replies (reply: a switch on that command) and one writer (proceed). No closure per
// command or per mail: on the board every function instance costs variables.
import type { Mailbox, SmtpSettings } from "../config.ts";
import type { MailContent } from "../mime/compose.ts";
import type { Socket, Transport } from "../platform/socket.ts";
import type { Timers } from "../platform/timers.ts";
import { stuffData, type Stuffing } from "./data-stuffer.ts";
import { readReply, type ReplyReader } from "./reply-parser.ts";
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

/** The session's phase (a number on the board: the bundler writes const enum members in place). */
const enum Phase {
  /** No connection (none yet, or dropped). */
  Closed,
  /** Connected, the greeting not in yet. */
  Connect,
  Ehlo,
  /** EHLO was refused: HELO sent (RFC 5321 §4.1.4). */
  Helo,
  Auth,
  /** Greeted and logged in: mail transactions may be written. */
  Mail,
  /** DATA written, its 354 not in: nothing may be written before that mail's body. */
  Data,
  /** A body is being written: the next piece waits for the socket's drain. */
  Body,
  /** QUIT written: nothing more may join. */
  Quit,
}

/** What the EHLO reply offered, in one place: CHUNKING is used only together with PIPELINING. */
const enum Caps {
  None,
  Pipe,
  Chunk,
}

/** What the connection's one timer does when due. */
const enum Due {
  None,
  /** A reply (or the socket's drain) is late: ETIMEDOUT. */
  Reply,
  /** The kept-alive connection's idle window is over: QUIT. */
  Keep,
  /** The last socket's close did not come in 2 s: connect anyway. */
  Reopen,
}

// Error codes used more than once: const enum members, written in place (a module constant would be a
// variable at rest on the board).
const enum Err {
  Connection = "ECONNECTION",
  Config = "ECONFIG",
  Protocol = "EPROTOCOL",
  Envelope = "EENVELOPE",
}

/**
 * onIdle: called when the client holds nothing any more (no batch, no socket, no close awaited), so its
 * owner may drop it: the client is made only while mail moves.
 */
export function createSmtpClient(opts: SmtpClientOptions, transport: Transport, timers: Timers, onIdle?: () => void): SmtpClient {
  const secure = opts.security == "tls";
  const now = timers.now || Date.now;
  // Variables set before their first use have no initializer: every byte of the bundle counts.
  let sock: Socket | null | undefined;
  /** Id of the current connection: events of older sockets are ignored. */
  let conn = 0;
  /** Id of a socket we ended whose close has not come yet; a new connection waits for it. */
  let closing = 0;
  // The connection's one timer (undefined = none): it does onDue at wall time `due`. Moving the
  // deadline later costs no timer call; the timer, when it fires early, sleeps for the rest.
  let timer: any;
  let due: number;
  let onDue: Due;
  let phase = Phase.Closed;
  let caps: Caps;
  /** The last transaction failed, or a BDAT one is still unanswered: RSET before the next MAIL (RFC 5321 §4.1.1.5). */
  let needRset: boolean;
  /** The batch started on a kept-alive connection and no reply came yet: a failure reconnects once. */
  let reused = false;
  /**
   * The one queue of expected replies, in order: per command written, the command it answers ("MAIL",
   * "RCPT", "DATA" (its 354), "DATA ." (the message's end), "BDAT LAST", "AUTH USER"…). Its first word
   * names it in errors (AUTH payloads never appear).
   */
  let owed: string[] = [];
  /** Without PIPELINING: command lines waiting for the reply before them (all RSET/MAIL/RCPT/DATA). */
  let later: string[] = [];
  /** Bytes of this turn not written yet: flush() writes them at once. */
  let out = "";
  const rd: ReplyReader = { buf: "", acc: "", text: "" };
  // The one body being written: its piece source (taken when its mail starts, dropped at its end), bytes
  // ready (dot-stuffed for DATA, raw for BDAT; MAX_WRITE and one piece at most), end seen, DATA
  // dot-stuffing state (null: BDAT).
  let bodySrc: (() => string | null) | null;
  let bodyCur: string;
  let bodyEof: boolean;
  let bodyStuff: Stuffing | null;
  // The mail whose replies are arriving (replies come in order): its index, its result so far, the
  // refused sender's error, the RCPT refusal code that counts.
  let cur: number;
  let res: MailResult;
  let envErr: SmtpError | null;
  let rcptCode: number;
  // The batch.
  let mails: OutgoingMail[] = [];
  let results: MailResult[] = [];
  /** Mails whose commands were written (or that failed before); mails with a result. */
  let started = 0;
  let answered = 0;
  let cb: ((err: SmtpError | null, results: MailResult[]) => void) | null | undefined;
  /** onIdle was called since the last send(). */
  let told = false;

  function fire() {
    timer = undefined;
    const left = due - now();
    if (left > 0) timer = timers.set(fire, left);
    else if (onDue == Due.Reply) fail(smtpError("ETIMEDOUT", "no reply in " + opts.timeoutSeconds + " s", 0, "", owed[0]));
    else if (onDue == Due.Keep) {
      out = "QUIT\r\n";
      flush();
      drop();
    } else if (onDue == Due.Reopen) {
      closing = 0;
      connect();
    }
  }
  /** Does `what` when its time comes instead of what was due; the timer is set again only to fire earlier. */
  function arm(what: Due) {
    const ms = what == Due.Reply ? opts.timeoutSeconds * 1000 : what == Due.Keep ? opts.keepAliveSeconds * 1000 : 2000;
    const t = now() + ms;
    if (t < due && timer !== undefined) {
      timers.clear(timer);
      timer = undefined;
    }
    due = t;
    onDue = what;
    if (timer === undefined) timer = timers.set(fire, ms);
  }
  /** Ends a turn: writes its bytes at once, and moves the reply deadline while anything is awaited. */
  function flush() {
    const s = out;
    out = "";
    // Writing after close throws on the board; the close event (or the timer) then ends the session.
    try {
      if (s && sock) sock.write(s);
    } catch (x) {}
    if (owed.length || phase == Phase.Body) arm(Due.Reply);
  }
  /** A command line, answered by one reply: written this turn, or (no PIPELINING) when the reply before it is in. */
  function command(line: string, answers: string) {
    if (caps || !owed.length) {
      out += line + "\r\n";
      owed.push(answers);
    } else later.push(line);
  }
  function drop() {
    const old = conn++;
    if (timer !== undefined) timers.clear(timer);
    timer = undefined;
    onDue = Due.None;
    const s = sock;
    sock = null;
    owed = [];
    later = [];
    out = "";
    phase = Phase.Closed;
    if (s) {
      closing = old;
      try {
        s.end();
      } catch (x) {}
    }
  }
  /** Ends the batch: done() runs from a fresh timer, never inside a socket event or send(). */
  function finish(e: SmtpError | null) {
    const f = cb;
    const r = results;
    cb = null;
    if (f)
      timers.set(function () {
        f(e, r);
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
    if (e.code === Err.Protocol) {
      results = [];
      answered = 0;
    }
    if (retry) {
      started = 0;
      return connect();
    }
    finish(answered === mails.length ? null : e);
  }

  /**
   * Connects once the socket we ended last has closed: the board holds one TLS session at a time
   * (~39 KB, docs/espruino.md §2). Waits at most 2 s for that close.
   */
  function connect() {
    if (closing) return arm(Due.Reopen);
    const id = ++conn;
    caps = Caps.None;
    needRset = false;
    phase = Phase.Connect;
    owed = ["CONNECT"];
    rd.buf = rd.acc = "";
    arm(Due.Reply);
    try {
      sock = transport.connect(opts.host, opts.port, secure, {
        data: function (d) {
          if (id !== conn) return;
          rd.buf += d;
          let code = 0;
          // Each complete reply, in order; none after one that ended this connection.
          while (id === conn && (code = readReply(rd)) > 0) {
            reply(code, rd.text);
            // Without PIPELINING one command at a time: the next goes once this reply is in.
            if (later.length && !owed.length) {
              const l = later.shift()!;
              command(l, l.slice(0, 4));
            }
          }
          if (id !== conn) return;
          if (code < 0) fail(smtpError(Err.Protocol, rd.text, 0, "", owed[0]));
          else flush();
        },
        drain: function () {
          if (id !== conn || phase != Phase.Body) return;
          proceed();
          flush();
        },
        error: function (e) {
          // -0x7280 (MBEDTLS_ERR_SSL_WRONG_VERSION_NUMBER): the server answered the handshake in plain text.
          if (id === conn) fail(e.code === -29312 ? smtpError("ETLS", "TLS handshake failed: " + startTlsHint()) : smtpError(Err.Connection, "network error: " + e.message + (e.code ? " (" + e.code + ")" : "")));
        },
        close: function () {
          if (id === closing) {
            closing = 0;
            // connect() is waiting for this close (drop() disarms that wait).
            if (onDue == Due.Reopen) connect();
          }
          if (id === conn) {
            sock = null;
            // A failed TLS handshake on the board is end + close(false), no error event (docs/espruino.md §2).
            fail(secure && phase == Phase.Connect ? smtpError("ETLS", "TLS handshake failed (" + startTlsHint() + "?)") : smtpError(Err.Connection, "closed by server", 0, "", owed[0]));
          }
          idle();
        },
      });
    } catch (x: any) {
      fail(smtpError(Err.Connection, "cannot connect to " + opts.host + ":" + opts.port + ": " + ((x && x.message) || x)));
    }
  }

  /** The one reader: a reply goes to the command it answers, the first one owed. */
  function reply(code: number, text: string) {
    const o = owed.shift();
    // Unsolicited: a 421 before an idle close, or a confused server.
    if (o === undefined) return cb ? fail(smtpError(Err.Protocol, "unexpected reply: " + text, code, text)) : drop();
    // 421: the server is closing the channel (RFC 5321 §3.8), whatever it was asked.
    if (code === 421 && o !== "QUIT") return fail(smtpError(Err.Connection, "server closing: " + text, code, text, o));
    reused = false;
    switch (o) {
      case "CONNECT":
        if (code !== 220) return fail(smtpError(Err.Connection, "server refused: " + text, code, text, o));
        phase = Phase.Ehlo;
        return command("EHLO " + opts.helo, "EHLO");
      case "EHLO":
      case "HELO":
        if (code === 250) {
          let mechs: string[] = [];
          if (o == "EHLO") {
            // RFC 5321 §4.1.1.1: "250-keyword params" lines after the first; old servers write AUTH=LOGIN.
            const lines = text.toUpperCase().split("\n");
            let pipe = false;
            let chunking = false;
            for (let i = 1; i < lines.length; i++) {
              const w = lines[i].slice(4).replace("=", " ").split(" ");
              if (w[0] == "PIPELINING") pipe = true;
              if (w[0] == "CHUNKING") chunking = true;
              if (w[0] == "AUTH") mechs = mechs.concat(w);
            }
            caps = pipe ? (chunking ? Caps.Chunk : Caps.Pipe) : Caps.None;
          }
          phase = Phase.Auth;
          const p = opts.password;
          if (!p) break;
          // RFC 4954 + RFC 4616: PLAIN with an initial response costs one turn; LOGIN three.
          // bundle-check-ok: needle-indexOf (mechs is an Array: exact match)
          if (mechs.indexOf("PLAIN") >= 0) return command("AUTH PLAIN " + base64("\0" + opts.user + "\0" + p), "AUTH");
          // bundle-check-ok: needle-indexOf (mechs is an Array: exact match)
          if (mechs.indexOf("LOGIN") < 0) return fail(smtpError("EAUTH", "no AUTH PLAIN/LOGIN", 0, "", "AUTH"));
          // The user name and password go under the names "AUTH …": an error's `command` never carries them.
          return command("AUTH LOGIN", "AUTH LOGIN");
        }
        // RFC 5321 §4.1.4: a server that does not know EHLO answers 5xx; HELO is the fallback.
        if (code >= 500 && o == "EHLO") {
          phase = Phase.Helo;
          return command("HELO " + opts.helo, "HELO");
        }
        return fail(smtpError(Err.Protocol, "EHLO refused: " + text, code, text, o));
      case "AUTH LOGIN":
        // RFC 4954 §4: 334 asks for the next part; anything else is AUTH's answer.
        if (code === 334) return command(base64(opts.user), "AUTH USER");
      // falls through
      case "AUTH USER":
        if (code === 334) return command(base64(opts.password), "AUTH");
      // falls through
      case "AUTH":
        // 534 5.7.9 / 535 5.7.8: what Gmail and Outlook answer to the account password.
        if (code !== 235) return fail(smtpError("EAUTH", (code === 534 || code === 535 ? "login refused (use an app password): " : "AUTH failed: ") + text, code, text, o));
        break;
      case "MAIL":
        // The first mail without a result is the one answered now (replies come in order).
        cur = 0;
        while (results[cur]) cur++;
        res = { accepted: [], rejected: [], response: "", error: null };
        rcptCode = 0;
        envErr = code < 300 ? null : smtpError(Err.Envelope, "sender refused: " + text, code, text, o);
        return;
      case "RCPT": {
        const a = mails[cur].to[res.accepted.length + res.rejected.length];
        if (code < 300) res.accepted.push(a);
        else {
          res.rejected.push({ address: a, response: text });
          // RFC 5321 §4.2.1: only 5yz is permanent; a 4xx (or an odd 3xx) among them keeps the mail transient.
          if (!rcptCode || code < 500) rcptCode = code;
        }
        return;
      }
      case "DATA":
        phase = Phase.Mail;
        if (code === 354) {
          // RFC 2920 §3.1: a 354 after every RCPT failed gets an empty message.
          if (envErr || !res.accepted.length) return command(".", "DATA .");
          bodyStuff = {};
          phase = Phase.Body;
          return proceed();
        }
        // RFC 5321 §4.1.1.4: only 354 starts the body; a 2xx/3xx here belongs to an earlier command.
        if (code < 400) return fail(smtpError(Err.Protocol, "replies out of step: DATA got " + text, 0, text, o));
      // falls through: a refused DATA settles the mail
      case "DATA .":
      case "BDAT LAST":
        // The reply that settles the mail: to ".", to BDAT … LAST, or a refused DATA.
        res.response = text;
        if (!envErr && !res.accepted.length) envErr = smtpError(Err.Envelope, "all recipients refused", rcptCode, res.rejected.length ? res.rejected[0].response : text, "RCPT");
        if (envErr || code >= 300) {
          res.error = envErr || smtpError("EMESSAGE", "message refused: " + text, code, text, o);
          needRset = true;
        }
        results[cur] = res;
        answered++;
        if (started === answered) proceed();
        return;
      case "QUIT":
        // RFC 5321 §4.1.1.10: QUIT is answered 221; anything else was a reply meant for an earlier command.
        if (code !== 221) return fail(smtpError(Err.Protocol, "replies out of step: " + text, 0, text, o));
        drop();
        return finish(null);
      default:
        // "RSET", "BDAT" (a chunk before the last): their replies change nothing; the mail's outcome is
        // the reply to its BDAT … LAST.
        return;
    }
    // EHLO/HELO without a password, or AUTH accepted: the mails may go.
    phase = Phase.Mail;
    proceed();
  }

  /**
   * The one writer: puts in `out` what may go now: the body being written (until a write must wait for
   * drain), then the next mails' commands (with PIPELINING right behind the message content, RFC 2920
   * §3.1; without, once every mail so far is answered), then QUIT (it may end the group) or the
   * keep-alive wait. The caller flushes. Loops, never recurses (docs/espruino.md trap 11).
   */
  function proceed() {
    for (;;) {
      if (phase == Phase.Body) {
        // Read one piece ahead so the last chunk is known to be last. Between turns only the bytes not
        // yet written are held; a piece is taken as it is when nothing is left (each copy of a string is
        // variables on the board).
        while (bodyCur.length <= MAX_WRITE && !bodyEof) {
          let p = bodySrc!();
          if (p === null) bodyEof = true;
          if (bodyStuff) p = stuffData(bodyStuff, p);
          if (!p) continue;
          if (bodyCur) bodyCur += p;
          else bodyCur = p;
        }
        const s = bodyCur.slice(0, MAX_WRITE);
        bodyCur = bodyCur.slice(MAX_WRITE);
        const last = bodyEof && !bodyCur;
        // RFC 3030 §2: each slice is a chunk, the last one "BDAT n LAST".
        if (!bodyStuff) command("BDAT " + s.length + (last ? " LAST" : ""), last ? "BDAT LAST" : "BDAT");
        if (out) out += s;
        else out = s;
        if (!last) return;
        // The source is done: what it holds goes now, not when the next mail starts.
        bodySrc = null;
        if (bodyStuff) owed.push("DATA .");
        // The next mail's commands join this group: after BDAT … LAST (RFC 3030), or after the message
        // content (RFC 2920 §3.1). A BDAT mail's outcome is unknown here: RSET.
        else if (started < mails.length) needRset = true;
        phase = Phase.Mail;
      }
      if (phase != Phase.Mail) return;
      if (started < mails.length) {
        if (!caps && started > answered) return;
        const i = started++;
        const m = mails[i];
        if (results[i]) continue;
        try {
          if (!m.to.length) throw new Error("no recipients");
          bodySrc = m.body();
        } catch (x: any) {
          results[i] = { accepted: [], rejected: [], response: "", error: smtpError(Err.Config, "bad message: " + ((x && x.message) || x)) };
          answered++;
          continue;
        }
        if (needRset) command("RSET", "RSET");
        needRset = false;
        // RFC 5321 §4.1.1.2, no space after the colon. No BODY=8BITMIME: src/mime writes 7-bit only.
        command("MAIL FROM:<" + m.from + ">", "MAIL");
        for (let k = 0; k < m.to.length; k++) command("RCPT TO:<" + m.to[k] + ">", "RCPT");
        bodyCur = "";
        bodyEof = false;
        bodyStuff = null;
        if (caps == Caps.Chunk) phase = Phase.Body;
        else {
          command("DATA", "DATA");
          phase = Phase.Data;
        }
        continue;
      }
      if (opts.keepAliveSeconds > 0) {
        if (started === answered) {
          finish(null);
          arm(Due.Keep);
        }
      } else if (caps || started === answered) {
        // RFC 2920 §3.1: QUIT may end a group.
        phase = Phase.Quit;
        command("QUIT", "QUIT");
      }
      return;
    }
  }

  return {
    send: function (list, done) {
      if (cb) {
        const e = smtpError(Err.Config, "send() while busy");
        e.transient = true;
        timers.set(function () {
          done(e, []);
        }, 0);
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
        return finish(smtpError(Err.Config, "password needs TLS or trustedRelay"));
      }
      if (!sock) return connect();
      reused = true;
      proceed();
      flush();
    },
    add: function (m) {
      if (!cb || phase == Phase.Quit) return false;
      mails.push(m);
      // Otherwise the mail is picked up where the next one would be: after AUTH, after a body, or after
      // the last reply without PIPELINING.
      if (caps && phase == Phase.Mail) {
        // RFC 2920 §3.1: a group may follow the message content; a BDAT mail's outcome is unknown here: RSET.
        if (caps == Caps.Chunk) needRset = true;
        proceed();
        flush();
      }
      return true;
    },
    close: function () {
      if (sock && !cb) {
        out = "QUIT\r\n";
        flush();
      }
      drop();
      finish(smtpError(Err.Connection, "closed by the caller"));
    },
  };
}
