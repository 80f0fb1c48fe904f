// Sends the outbox: starts a connection as soon as an alert is queued, lets alerts raised meanwhile join the open
// session, folds digests, retries transient failures with exponential backoff and jitter forever, records permanent
// refusals, and erases an alert only after its 250. Bodies are read from Storage a piece at a time, never whole.
import type { DeviceConfig } from "../config.ts";
import { composeMessage } from "../mime/compose.ts";
import { escapeHtml } from "../mime/html-escape.ts";
import type { Board } from "../platform/facilities.ts";
import type { WifiLink } from "../platform/wifi.ts";
import type { MailResult, OutgoingMail, SmtpClient, SmtpError } from "../smtp/client.ts";
import { clockSet, formatTime, TIME_MARK, tzOf } from "../clock.ts";
import { oneLine } from "../template.ts";
import type { Batch, Notes, Queue, QueuedAlert } from "./queue.ts";

/** Constants inlined by the bundler (a module-level const would stay in the board's variables). */
const enum K {
  /** Alerts per batch (a batch is also joined by alerts raised while it runs, up to this many). */
  MAX_BATCH = 5,
  /** Below this many free variables a TLS connection is not attempted (firmware/README.md, memory). */
  MIN_FREE_VARS = 600,
  LOW_MEMORY_WAIT_MS = 10000,
  /** An alert waits at most this long after WiFi is up for SNTP to set the clock, so its Date is true. */
  CLOCK_WAIT_MS = 60000,
  CLOCK_POLL_MS = 500,
}

/**
 * What the sender works with, each part owned elsewhere: the board, the configuration, the outbox (which owns its
 * files, leases and notes), the WiFi link, this boot's clock and id, and where a rule's outcome is reported.
 */
export interface SendParts {
  b: Board;
  cfg: DeviceConfig;
  queue: Queue;
  link: WifiLink;
  /** ms since boot, steady across the SNTP step (app/start.ts, by platform/timers.ts's one rule). */
  up(): number;
  /** This boot's id: an alert raised before the clock was set can be dated only in the boot that raised it. */
  boot: number;
  /** What became of a rule's mail (its log line), for alertmail.status(). */
  report(rule: string, line: string): void;
}

export interface Sender {
  /**
   * An alert was queued, or WiFi came up: send now or join the session running; coalesce (an alert just
   * raised) waits outbox.coalesceSeconds first, when set (opt-in).
   */
  kick(coalesce?: boolean): void;
  sent: number;
  lastError: string;
  /** ms when the next retry is due, 0 when none is waiting. */
  retryAt: number;
  busy: boolean;
}

/** One mail of a batch: the queue files it carries (several for a digest) and their headers. */
interface Job {
  files: string[];
  heads: QueuedAlert[];
  notes: Notes | null;
}

/**
 * The sender's state is its own (when to send, retries, the batch running, the SMTP client while mail moves);
 * the outbox's is the queue's: the sender leases, releases, notes and removes only through the queue's batch.
 * At rest only kick, wait and flush are alive: each function alive costs variables on the board.
 */
export function createSender(fw: SendParts): Sender {
  const b = fw.b;
  const queue = fw.queue;
  let timer: any;
  let attempts = 0;
  /** Since when the sender waits for the clock (0 = not waiting). */
  let clockWait = 0;
  /** An alert was raised while a send ran and could not join it. */
  let fresh = false;
  /** While a batch runs: lets alerts raised meanwhile join it (made by flush, dropped by its finish). */
  let join: (() => void) | null = null;
  /** The SMTP client while mail moves (a batch, a kept-alive connection, a close awaited); made by flush when needed. */
  let client: SmtpClient | null = null;

  function wait(ms: number) {
    b.timers.clear(timer);
    timer = b.timers.set(flush, ms);
  }

  /**
   * A new alert goes at once: it joins the session running, or starts one, even while older alerts back off
   * (one prompt attempt per new alert, never a faster retry loop). coalesceSeconds > 0 (opt-in) waits that
   * long first so alerts raised together share a connection.
   */
  function kick(coalesce?: boolean) {
    if (join) return join();
    if (!coalesce || timer === undefined || s.retryAt) {
      s.retryAt = 0;
      wait(coalesce ? fw.cfg.outbox.coalesceSeconds * 1000 : 0);
    }
  }

  /**
   * Makes the client when mail moves. It is dropped when it says it holds nothing any more (its closures cost
   * ~330 variables), unless a batch runs. Made here, not in flush: what the client keeps (its onIdle) must not
   * keep a batch's functions alive (an API client lives on once loaded).
   */
  function connect(): SmtpClient {
    const idle = function () {
      if (client === c && !s.busy) client = null;
    };
    const cfg = fw.cfg;
    const c: SmtpClient = cfg.api ? b.api!(cfg.api, idle) : b.smtp(cfg.smtp, idle);
    return (client = c);
  }

  /**
   * The sending phase: gates (WiFi, the clock, free memory), then a batch of the outbox leased, its mails made
   * and sent, and its results settled. take, toMail and finish are made here, per batch: not alive at rest.
   */
  function flush() {
    timer = undefined;
    s.retryAt = 0;
    if (s.busy || !fw.link.up) return;
    // SNTP is asked for when WiFi comes up: wait for it (a bounded time) so every Date and {{time}} is true.
    if (!clockSet(b.now())) {
      if (!clockWait) clockWait = fw.up();
      if (fw.up() - clockWait < K.CLOCK_WAIT_MS) return wait(K.CLOCK_POLL_MS);
    }
    const free = b.memory().free;
    if (free < K.MIN_FREE_VARS) {
      b.log("low memory, waiting: " + free + " variables free");
      return wait(K.LOW_MEMORY_WAIT_MS);
    }
    /** The outbox's view of this batch: the sender leases, releases, notes and removes only through it. */
    const bt = queue.batch();

    /** Leases the oldest files not leased yet into at most `max` mails (a digest folds its rule's files into one). */
    const take = function (max: number): Job[] {
      const names = queue.names();
      const made: Job[] = [];
      for (let i = 0; i < names.length && made.length < max; i++) {
        const a = bt.lease(names[i]);
        if (!a) continue;
        const d = a.g
          ? made.find(function (j) {
              return j.heads[0].g && j.heads[0].r == a.r;
            })
          : undefined;
        if (d) {
          d.files.push(names[i]);
          d.heads.push(a);
        } else made.push({ files: [names[i]], heads: [a], notes: null });
      }
      return made;
    };

    const toMail = function (j: Job): OutgoingMail {
      const a = j.heads[0];
      const sm = fw.cfg.smtp;
      const tz = tzOf(fw.cfg);
      const to = a.to && a.to.length ? a.to : sm.to;
      const now = b.now();
      // When the alert happened, as far as this boot can tell (undefined when it cannot).
      const date = clockSet(a.at) ? a.at : a.u === fw.boot && clockSet(now) ? now - (fw.up() - a.m!) : undefined;
      const time = date ? formatTime(date, tz) : a.u === fw.boot ? "clock not set, " + Math.round(a.m! / 1000) + " s after boot" : "clock not set, before a restart";
      let subject = a.s.split(TIME_MARK).join(time);
      if (j.files.length > 1) subject += " (+" + (j.files.length - 1) + " more)";
      // What the mail reports about earlier trouble (the notes it carries), after the bodies.
      let tail = "";
      const n = j.notes;
      if (n) {
        const l: string[] = [];
        if (n.d) l.push(n.d + " alert(s) dropped: outbox full");
        if (n.c) l.push(n.c + " damaged record(s) skipped");
        n.f.forEach(function (f) {
          l.push("Refused: " + f);
        });
        const t = l.join("\n");
        tail = a.h ? "<hr><pre>" + escapeHtml(t) + "</pre>" : "\n\n-- \n" + t;
      }
      /**
       * The bodies of the job's files, one after the other with a separator, then the notes: a piece at a time,
       * every TIME_MARK replaced by `time`, even one cut across two pieces. (Made per mail: nothing kept at rest.)
       */
      const open = function () {
        let f = 0;
        let src: (() => string | null) | null = null;
        let end = false;
        let carry = "";
        const next = function (): string | null {
          for (;;) {
            if (end) return null;
            if (!src) {
              if (f >= j.files.length) {
                end = true;
                return tail || null;
              }
              src = bt.body(j.files[f], j.heads[f]);
              if (f++) return a.h ? "<hr>" : "\n\n----\n\n";
            }
            const p = src();
            if (p !== null) return p;
            src = null;
          }
        };
        return function () {
          const p = next();
          let s = (carry + (p === null ? "" : p)).split(TIME_MARK).join(time);
          carry = "";
          if (p !== null) {
            // Hold back what may be the start of a mark.
            const i = s.lastIndexOf("\xff"); // TIME_MARK's first byte
            if (i >= 0 && i > s.length - TIME_MARK.length) {
              carry = s.slice(i);
              s = s.slice(0, i);
            }
          }
          return p === null && !s ? null : s;
        };
      };
      const content = {
        from: sm.from,
        to: to,
        cc: sm.cc,
        bcc: sm.bcc,
        subject: subject,
        date: date || (clockSet(now) ? now : undefined),
        tzOffsetMinutes: tz,
        messageId: a.id,
        body: { html: !!a.h, enc: a.c || "quoted-printable", open: open },
      };
      return {
        from: sm.from.address,
        to:
          a.e ||
          to.concat(sm.cc, sm.bcc).map(function (m) {
            return m.address;
          }),
        content: content,
        body: function () {
          return composeMessage(content);
        },
      };
    };

    /** The mails being sent. */
    let jobs = take(K.MAX_BATCH);
    if (!jobs.length) return bt.close();
    const n = queue.notes;
    if (n.d || n.c || n.f.length) jobs[0].notes = { d: n.d, c: n.c, f: n.f.slice() };

    // Every report is saved before the file it is about is erased, and a 4xx copy is written before its
    // original is erased: a power cut between two steps loses nothing (a resend keeps its Message-ID).
    const finish = function (err: SmtpError | null, results?: MailResult[]) {
      /** A server reply as a note keeps its code and first line only (issue 17 defect 8). */
      const firstLine = function (t: string): string {
        return oneLine(t.split("\n")[0]).slice(0, 120);
      };
      // Called once per batch; a second call (a client's mistake) finds nothing to settle.
      const done = jobs;
      if (!done.length) return;
      jobs = [];
      join = null;
      s.busy = false;
      let retry = false;
      done.forEach(function (j, i) {
        const r = results && results[i];
        const a = j.heads[0];
        const subj = '"' + a.s.split(TIME_MARK).join("").slice(0, 80) + '"';
        const say = function (line: string) {
          b.log(line);
          fw.report(a.r, line);
        };
        if (r && !r.error && r.accepted.length) {
          s.sent++;
          say("sent " + subj + " to " + r.accepted.length + " recipient(s): " + oneLine(r.response));
          if (j.notes) bt.reported(j.notes);
          // RFC 5321 §4.2.1: only a 5xx to RCPT is final (reported in the next mail); a 4xx, or anything
          // unexpected, is "try again later": a copy (same Message-ID and headers) goes to those recipients only.
          const later: string[] = [];
          r.rejected.forEach(function (x) {
            if (x.response.charAt(0) == "5") bt.note(x.address + " for " + subj + ": " + firstLine(x.response));
            else later.push(x.address);
          });
          if (later.length) {
            retry = true;
            // One copy per file (a digest's parts stay apart); g: 0, a copy is never folded again.
            j.files.forEach(function (f, k) {
              const h = j.heads[k];
              try {
                queue.add(Object.assign({}, h, { e: later, g: 0 }), bt.body(f, h));
              } catch (x) {
                bt.note(later.join(",") + " for " + subj + ": " + x);
              }
            });
          }
          j.files.forEach(bt.remove);
        } else {
          const e = r && r.error;
          const why = firstLine(e ? e.response || e.message : err ? err.response || err.message : "not sent");
          s.lastError = why;
          if (r && (!e || !e.transient)) {
            bt.note(subj + ": " + why);
            j.files.forEach(bt.remove);
            say("failed " + subj + " permanently: " + why);
          } else {
            retry = true;
            say("failed " + subj + ": " + why);
          }
        }
      });
      bt.close();
      const f = fresh;
      fresh = false;
      if (retry) {
        // Exponential backoff with jitter, forever: retrySeconds doubling up to maxRetrySeconds.
        const ob = fw.cfg.outbox;
        attempts++;
        const d = Math.min(ob.maxRetrySeconds, ob.retrySeconds * Math.pow(2, attempts - 1)) * 1000;
        const ms = Math.round(d / 2 + (b.random() * d) / 2);
        s.retryAt = b.now() + ms;
        b.log("retry in " + Math.round(ms / 1000) + " s");
        wait(ms);
        if (f) kick(true);
      } else {
        attempts = 0;
        if (queue.names().length) kick();
      }
    };

    // Alerts raised while this batch runs join its session when the client can still take them; else
    // finish() sends what was raised meanwhile.
    join = function () {
      let ok = true;
      take(K.MAX_BATCH - jobs.length).forEach(function (j) {
        if (ok && client && client.add(toMail(j))) jobs.push(j);
        else {
          ok = false;
          fresh = true;
          j.files.forEach(bt.release);
        }
      });
    };
    s.busy = true;
    try {
      (client || connect()).send(jobs.map(toMail), finish);
    } catch (e) {
      // Never busy for good: whatever threw, the batch fails as a transient error and is tried again.
      finish(null);
    }
  }

  // Made last: Espruino does not hoist function declarations (firmware/README.md), so kick must exist first.
  const s: Sender = { kick: kick, sent: 0, lastError: "", retryAt: 0, busy: false };
  return s;
}
