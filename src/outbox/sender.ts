// Sends the outbox: starts a connection as soon as an alert is queued, lets alerts raised meanwhile join the open
// session, folds digests, retries transient failures with exponential backoff and jitter forever, records permanent
// refusals, and erases an alert only after its 250. Bodies are read from Storage a piece at a time, never whole.
import type { DeviceConfig, Mailbox } from "../config.ts";
import { composeMessage } from "../mime/compose.ts";
import { escapeHtml } from "../mime/html-escape.ts";
import type { Timers } from "../platform/timers.ts";
import type { WifiLink } from "../platform/wifi.ts";
import type { MailResult, OutgoingMail, SmtpClient, SmtpError } from "../smtp/client.ts";
import { clockSet, formatTime, TIME_MARK, tzOf } from "../clock.ts";
import { oneLine } from "../template.ts";
import type { Notes, Queue, QueuedAlert } from "./queue.ts";

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

/** The board facilities the sender uses (from platform/facilities.ts's Board, plus the boot's clock). */
export interface SenderBoard {
  timers: Timers;
  now(): number;
  /** ms since boot, monotonic (platform/timers.ts): unaffected by SNTP setting the clock. */
  mono(): number;
  /** This boot's id: an alert raised before the clock was set can be dated only in the boot that raised it. */
  boot: number;
  /** process.memory(): free = JS variables free (14 bytes each on the ESP32). */
  memory(): { free: number };
  random(): number;
  log(s: string): void;
}

export interface Sender {
  /** An alert was queued (or WiFi came up): send now, join the session running, or (opt-in) wait the coalescing window. */
  kick(force: boolean): void;
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

function addresses(list: Mailbox[]): string[] {
  return list.map(function (m) {
    return m.address;
  });
}

/** The lines a mail reports about earlier trouble, or [] when there is none. */
export function noteLines(n: Notes): string[] {
  const l: string[] = [];
  if (n.d) l.push(n.d + " alert(s) dropped: outbox full");
  if (n.c) l.push(n.c + " damaged record(s) skipped");
  n.f.forEach(function (f) {
    l.push("Refused: " + f);
  });
  return l;
}

/** A piece source with every TIME_MARK replaced by `time`, even one cut across two pieces. */
function withTime(src: () => string | null, time: string): () => string | null {
  let carry = "";
  return function () {
    const p = src();
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
}

/** report(rule name, log line): what became of a rule's mail, for alertmail.status(). */
export function createSender(
  cfg: DeviceConfig,
  queue: Queue,
  newClient: (onIdle: () => void) => SmtpClient,
  env: SenderBoard,
  link: WifiLink,
  report: (rule: string, line: string) => void,
): Sender {
  const ob = cfg.outbox;
  const tz = tzOf(cfg);
  let timer: any;
  let attempts = 0;
  /** Since when the sender waits for the clock (0 = not waiting). */
  let clockWait = 0;
  /** An alert was raised while a send ran and could not join it. */
  let fresh = false;
  /** The batch being sent. */
  let jobs: Job[] = [];
  /** The SMTP client while mail moves (a batch, a kept-alive connection, a close awaited); made when needed. */
  let client: SmtpClient | null = null;
  function smtp(): SmtpClient {
    if (!client) {
      const c: SmtpClient = newClient(function () {
        if (client === c && !s.busy) client = null;
      });
      client = c;
    }
    return client;
  }

  function wait(ms: number) {
    env.timers.clear(timer);
    timer = env.timers.set(flush, ms);
  }

  /**
   * A new alert goes at once: it joins the session running, or starts one, even while older alerts back off
   * (one prompt attempt per new alert, never a faster retry loop). coalesceSeconds > 0 (opt-in) waits that
   * long first so alerts raised together share a connection.
   */
  function kick(force: boolean) {
    if (s.busy) {
      if (!join()) fresh = true; // finish() sends what was raised meanwhile
      return;
    }
    if (force || timer === undefined || s.retryAt) {
      s.retryAt = 0;
      wait(force ? 0 : ob.coalesceSeconds * 1000);
    }
  }

  /** Files not in the running batch, oldest first. */
  function waiting(): string[] {
    return queue.names().filter(function (n) {
      return queue.sending.indexOf(n) < 0;
    });
  }

  /** Adds the files to jobs (folding digests); returns the jobs it made. */
  function collect(names: string[], max: number): Job[] {
    const made: Job[] = [];
    for (let i = 0; i < names.length && made.length < max; i++) {
      const a = queue.load(names[i]);
      if (!a) continue;
      queue.lease(names[i]);
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
  }

  /** Alerts raised while a batch runs join its session when the client can still take them. */
  function join(): boolean {
    const more = collect(waiting(), K.MAX_BATCH - jobs.length);
    let ok = true;
    more.forEach(function (j) {
      if (ok && smtp().add(toMail(j))) jobs.push(j);
      else {
        ok = false;
        j.files.forEach(queue.unlease);
      }
    });
    return ok;
  }

  /** When an alert happened, as far as this boot can tell: undefined when it cannot. */
  function dateOf(a: QueuedAlert): number | undefined {
    if (clockSet(a.at)) return a.at;
    const t = env.now();
    if (a.u === env.boot && clockSet(t)) return t - (env.mono() - a.m!);
  }

  function toMail(j: Job): OutgoingMail {
    const a = j.heads[0];
    const sm = cfg.smtp;
    const to = a.to && a.to.length ? a.to : sm.to;
    const date = dateOf(a);
    const time = date ? formatTime(date, tz) : a.u === env.boot ? "clock not set, " + Math.round(a.m! / 1000) + " s after boot" : "clock not set, before a restart";
    let subject = a.s.split(TIME_MARK).join(time);
    if (j.files.length > 1) subject += " (+" + (j.files.length - 1) + " more)";
    let tail = "";
    if (j.notes) {
      const l = noteLines(j.notes).join("\n");
      tail = a.h ? "<hr><pre>" + escapeHtml(l) + "</pre>" : "\n\n-- \n" + l;
    }
    /** The bodies of the job's files, one after the other with a separator, then the notes: a piece at a time. */
    const open = function () {
      let f = 0;
      let src: (() => string | null) | null = null;
      let end = false;
      return withTime(function () {
        for (;;) {
          if (end) return null;
          if (!src) {
            if (f >= j.files.length) {
              end = true;
              return tail || null;
            }
            src = queue.body(j.files[f], j.heads[f]);
            if (f++) return a.h ? "<hr>" : "\n\n----\n\n";
          }
          const p = src();
          if (p !== null) return p;
          src = null;
        }
      }, time);
    };
    const content = {
      from: sm.from,
      to: to,
      cc: sm.cc,
      bcc: sm.bcc,
      subject: subject,
      date: date || (clockSet(env.now()) ? env.now() : undefined),
      tzOffsetMinutes: tz,
      messageId: a.id,
      body: { html: !!a.h, enc: a.c || "quoted-printable", open: open },
    };
    return {
      from: sm.from.address,
      to: a.e || addresses(to.concat(sm.cc, sm.bcc)),
      content: content,
      body: function () {
        return composeMessage(content);
      },
    };
  }

  function retryLater() {
    attempts++;
    const d = Math.min(ob.maxRetrySeconds, ob.retrySeconds * Math.pow(2, attempts - 1)) * 1000;
    const ms = Math.round(d / 2 + (env.random() * d) / 2);
    s.retryAt = env.now() + ms;
    env.log("retry in " + Math.round(ms / 1000) + " s");
    wait(ms);
  }

  /** A server reply as a note keeps its code and first line only (issue 17 defect 8). */
  function firstLine(t: string): string {
    return oneLine(t.split("\n")[0]).slice(0, 120);
  }

  // Every report is saved before the file it is about is erased, and a 4xx copy is written before its
  // original is erased: a power cut between two steps loses nothing (a resend keeps its Message-ID).
  function finish(err: SmtpError | null, results: MailResult[]) {
    const done = jobs;
    jobs = [];
    s.busy = false;
    let retry = false;
    done.forEach(function (j, i) {
      const r = results[i];
      const a = j.heads[0];
      const subj = '"' + a.s.split(TIME_MARK).join("").slice(0, 80) + '"';
      const say = function (line: string) {
        env.log(line);
        report(a.r, line);
      };
      if (r && !r.error && r.accepted.length) {
        s.sent++;
        say("sent " + subj + " to " + r.accepted.length + " recipient(s): " + oneLine(r.response));
        if (j.notes) queue.reported(j.notes);
        // RFC 5321 §4.2.1: only a 5xx to RCPT is final (reported in the next mail); a 4xx, or anything
        // unexpected, is "try again later": a copy (same Message-ID and headers) goes to those recipients only.
        const later: string[] = [];
        r.rejected.forEach(function (x) {
          if (x.response.charAt(0) == "5") queue.note(x.address + " for " + subj + ": " + firstLine(x.response));
          else later.push(x.address);
        });
        if (later.length) {
          retry = true;
          // One copy per file (a digest's parts stay apart); g: 0, a copy is never folded again.
          j.files.forEach(function (f, k) {
            const h = j.heads[k];
            try {
              queue.add(Object.assign({}, h, { e: later, g: 0 }), queue.body(f, h));
            } catch (x) {
              queue.note(later.join(",") + " for " + subj + ": " + x);
            }
          });
        }
        j.files.forEach(queue.remove);
      } else {
        const e = r && r.error;
        const why = firstLine(e ? e.response || e.message : err ? err.response || err.message : "not sent");
        s.lastError = why;
        if (r && (!e || !e.transient)) {
          queue.note(subj + ": " + why);
          j.files.forEach(queue.remove);
          say("failed " + subj + " permanently: " + why);
        } else {
          retry = true;
          say("failed " + subj + ": " + why);
        }
      }
    });
    queue.release();
    const f = fresh;
    fresh = false;
    if (retry) {
      retryLater();
      if (f) kick(false);
    } else {
      attempts = 0;
      if (queue.names().length) kick(true);
    }
  }

  function flush() {
    timer = undefined;
    s.retryAt = 0;
    if (s.busy || !link.up) return;
    // SNTP is asked for when WiFi comes up: wait for it (a bounded time) so every Date and {{time}} is true.
    if (!clockSet(env.now())) {
      if (!clockWait) clockWait = env.mono();
      if (env.mono() - clockWait < K.CLOCK_WAIT_MS) return wait(K.CLOCK_POLL_MS);
    }
    const free = env.memory().free;
    if (free < K.MIN_FREE_VARS) {
      env.log("low memory, waiting: " + free + " variables free");
      return wait(K.LOW_MEMORY_WAIT_MS);
    }
    jobs = collect(queue.names(), K.MAX_BATCH);
    if (!jobs.length) return;
    const n = queue.notes;
    if (n.d || n.c || n.f.length) jobs[0].notes = { d: n.d, c: n.c, f: n.f.slice() };
    s.busy = true;
    try {
      smtp().send(jobs.map(toMail), function (err, results) {
        finish(err, results || []);
      });
    } catch (e) {
      // Never busy for good: whatever threw, the batch fails as a transient error and is tried again.
      finish(null, []);
    }
  }

  // Made last: Espruino does not hoist function declarations (firmware/README.md), so kick must exist first.
  const s: Sender = { kick: kick, sent: 0, lastError: "", retryAt: 0, busy: false };
  return s;
}
