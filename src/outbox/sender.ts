// Sends the outbox: coalesces alerts into one connection, folds digests, retries transient failures with
// exponential backoff and jitter forever, records permanent refusals, and erases an alert only after its 250.
import type { DeviceConfig, Mailbox } from "../config.ts";
import { composeMessage } from "../mime/compose.ts";
import { escapeHtml } from "../mime/html-escape.ts";
import type { Timers } from "../platform/timers.ts";
import type { WifiLink } from "../platform/wifi.ts";
import type { MailResult, OutgoingMail, SmtpClient, SmtpError } from "../smtp/client.ts";
import { clockSet, oneLine, tzOffsetMinutes } from "../template.ts";
import type { Notes, Queue, QueuedAlert } from "./queue.ts";

/** Alerts per connection, and their body bytes (beyond the first): each is held in RAM while the batch runs. */
const MAX_BATCH = 5;
const MAX_BATCH_BYTES = 4000;
/** Below this many free variables a TLS connection is not attempted (shared/espruino.md §2, §4). */
export const MIN_FREE_VARS = 600;
const LOW_MEMORY_WAIT_MS = 10000;

/** The board facilities the sender uses (a subset of app/start.ts's Board). */
export interface SenderBoard {
  timers: Timers;
  now(): number;
  /** process.memory(): free = JS variables free (14 bytes each on the ESP32). */
  memory(): { free: number };
  random(): number;
  log(s: string): void;
}

export interface Sender {
  /** Send soon: after the coalescing window (or at once when force), unless a send runs. */
  kick(force: boolean): void;
  sent: number;
  lastError: string;
  /** ms when the next retry is due, 0 when none is waiting. */
  retryAt: number;
  busy: boolean;
}

/** One mail of a batch: the queue files it carries (several for a digest). */
interface Job {
  files: string[];
  a: QueuedAlert;
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

/** report(rule name, log line): what became of a rule's mail, for alertmail.status(). */
export function createSender(
  cfg: DeviceConfig,
  queue: Queue,
  client: SmtpClient,
  env: SenderBoard,
  link: WifiLink,
  report: (rule: string, line: string) => void,
): Sender {
  const ob = cfg.outbox;
  const tz = tzOffsetMinutes(cfg.device.timezone);
  let timer: any;
  let attempts = 0;
  /** An alert was raised while a send ran. */
  let fresh = false;


  function wait(ms: number) {
    env.timers.clear(timer);
    timer = env.timers.set(flush, ms);
  }

  /**
   * A new alert is tried within the coalescing window even while older ones back off: one prompt
   * attempt per new alert (alerts within one window share it), never a faster retry loop.
   */
  function kick(force: boolean) {
    if (s.busy) {
      fresh = true; // finish() sends what was raised meanwhile
      return;
    }
    if (force || timer === undefined || s.retryAt) {
      s.retryAt = 0;
      wait(force ? 0 : ob.coalesceSeconds * 1000);
    }
  }

  function batch(): Job[] {
    const jobs: Job[] = [];
    const names = queue.names();
    let bytes = 0;
    for (let i = 0; i < names.length && jobs.length < MAX_BATCH && bytes < MAX_BATCH_BYTES; i++) {
      const a = queue.load(names[i]);
      if (!a) continue;
      bytes += a.b.length;
      const d = a.g
        ? jobs.find(function (j) {
            return j.a.g && j.a.r == a.r;
          })
        : undefined;
      if (d) {
        d.files.push(names[i]);
        d.a.b += a.h ? "<hr>" + a.b : "\n\n----\n\n" + a.b;
      } else jobs.push({ files: [names[i]], a: a, notes: null });
    }
    jobs.forEach(function (j) {
      if (j.files.length > 1) j.a.s += " (+" + (j.files.length - 1) + " more)";
    });
    return jobs;
  }

  function toMail(j: Job): OutgoingMail {
    const a = j.a;
    const sm = cfg.smtp;
    const to = a.to && a.to.length ? a.to : sm.to;
    let body = a.b;
    if (j.notes) {
      const l = noteLines(j.notes);
      body += a.h ? "<hr><pre>" + escapeHtml(l.join("\n")) + "</pre>" : "\n\n-- \n" + l.join("\n");
    }
    const t = env.now();
    const date = clockSet(a.at) ? a.at : clockSet(t) ? t : undefined;
    return {
      from: sm.from.address,
      to: a.e || addresses(to.concat(sm.cc, sm.bcc)),
      body: function () {
        return composeMessage({
          from: sm.from,
          to: to,
          cc: sm.cc,
          subject: a.s,
          text: a.h ? undefined : body,
          html: a.h ? body : undefined,
          date: date,
          tzOffsetMinutes: tz,
          messageId: a.id,
        });
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
  function finish(jobs: Job[], err: SmtpError | null, results: MailResult[]) {
    s.busy = false;
    let retry = false;
    jobs.forEach(function (j, i) {
      const r = results[i];
      const subj = '"' + j.a.s.slice(0, 80) + '"';
      const say = function (line: string) {
        env.log(line);
        report(j.a.r, line);
      };
      if (r && !r.error && r.accepted.length) {
        s.sent++;
        say("sent " + subj + " to " + r.accepted.length + " recipient(s): " + oneLine(r.response));
        if (j.notes) {
          queue.notes.d -= j.notes.d;
          queue.notes.c -= j.notes.c;
          queue.notes.f.splice(0, j.notes.f.length);
        }
        // RFC 5321 §4.2.1: only a 5xx to RCPT is final (reported in the next mail); a 4xx, or anything
        // unexpected, is "try again later": a copy (same Message-ID and headers) goes to those recipients only.
        const later: string[] = [];
        r.rejected.forEach(function (x) {
          if (x.response.charAt(0) == "5") queue.note(x.address + " for " + subj + ": " + firstLine(x.response));
          else later.push(x.address);
        });
        queue.saveNotes();
        if (later.length) {
          retry = true;
          try {
            // g: 0, the copy is never folded into another digest.
            queue.add(Object.assign({}, j.a, { e: later, g: 0 }));
          } catch (x) {
            queue.note(later.join(",") + " for " + subj + ": " + x);
          }
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
    queue.sending = [];
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
    const jobs = batch();
    if (!jobs.length) return;
    const free = env.memory().free;
    if (free < MIN_FREE_VARS) {
      env.log("low memory, waiting: " + free + " variables free");
      return wait(LOW_MEMORY_WAIT_MS);
    }
    const n = queue.notes;
    if (n.d || n.c || n.f.length) jobs[0].notes = { d: n.d, c: n.c, f: n.f.slice() };
    s.busy = true;
    jobs.forEach(function (j) {
      queue.sending = queue.sending.concat(j.files);
    });
    client.send(jobs.map(toMail), function (err, results) {
      finish(jobs, err, results || []);
    });
  }

  // Made last: Espruino does not hoist function declarations (shared/espruino.md trap 3), so kick must exist first.
  const s: Sender = { kick: kick, sent: 0, lastError: "", retryAt: 0, busy: false };
  return s;
}
