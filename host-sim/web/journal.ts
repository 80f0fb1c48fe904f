// What the web page shows of a run, gathered from what the simulator already exposes: the board's
// console lines, each SMTP session's transcript from the embedded server, and each alert's path
// (raised → stored → sent / retried / dropped) read from the firmware's own log lines and its Storage.
import type { SimBoard } from "../board.ts";
import type { ReceivedMail } from "../smtp-sink.ts";

export interface LogLine {
  id: number;
  /** ms epoch when the line was seen. */
  t: number;
  text: string;
}

export interface Session {
  id: string;
  /** ms epoch of the first line. */
  start: number;
  lines: { t: number; text: string }[];
  /** Last reply the server sent ("S: …"), for the list. */
  last: string;
  closed: boolean;
}

export type PathState = "stored" | "retrying" | "sent" | "dropped";

export interface AlertPath {
  id: number;
  /** Rule name from the stored record ("" when unknown: a sketch's send, a test mail). */
  rule: string;
  subject: string;
  /** ms epoch: raised and stored are one synchronous step in the firmware ("queued" line). */
  raisedAt: number;
  /** Outbox file that holds it, and its size. */
  file: string;
  bytes: number;
  state: PathState;
  /** Each attempt that failed, with the server's or the socket's reason, and each restart meanwhile. */
  failures: { t: number; why: string }[];
  sentAt?: number;
  /** The server's reply to the message, e.g. "250 2.0.0 Ok: queued as …". */
  reply?: string;
  /** Inbox index (1-based) and SMTP session of the delivered mail. */
  mail?: number;
  session?: string;
  /** Why it was dropped. */
  dropped?: string;
}

/** The part of a stored outbox record the page shows; lenient: the record format belongs to the firmware. */
export interface OutboxEntry {
  file: string;
  bytes: number;
  rule: string;
  subject: string;
  /** Board clock (ms since 1970) at raise time, when the record says. */
  at?: number;
}

const QUEUE_FILE = /^amq\d+$/;
const MAX_LINES = 5000;
const MAX_SESSIONS = 200;
const MAX_PATHS = 1000;

/** Reads one outbox record: a JSON line (subject base64) then the body. */
export function readOutboxEntry(board: SimBoard, file: string): OutboxEntry {
  const data = board.storage.readBytes(file) ?? Buffer.alloc(0);
  const entry: OutboxEntry = { file, bytes: data.length, rule: "", subject: "" };
  const text = data.toString("latin1");
  const nl = text.indexOf("\n");
  try {
    const head = JSON.parse(nl < 0 ? text : text.slice(0, nl)) as { r?: unknown; s?: unknown; at?: unknown };
    if (typeof head.r === "string") entry.rule = head.r;
    if (typeof head.s === "string") {
      const bytes = Buffer.from(head.s, "base64");
      // The subject is stored base64 (queue.ts); fall back to the text itself if it is not.
      entry.subject = bytes.toString("base64").replace(/=+$/, "") === head.s.replace(/=+$/, "") ? bytes.toString("utf8") : head.s;
    }
    if (typeof head.at === "number") entry.at = head.at;
  } catch {
    entry.subject = "(unreadable record)";
  }
  return entry;
}

export function outboxFiles(board: SimBoard): string[] {
  return board.storage
    .names()
    .filter((n) => QUEUE_FILE.test(n))
    .sort((a, b) => Number(a.slice(3)) - Number(b.slice(3)));
}

export interface Journal {
  lines: LogLine[];
  sessions: Map<string, Session>;
  paths: AlertPath[];
  /** ms epoch of the next retry the firmware announced ("retry in N s"), 0 when none. */
  nextRetryAt: number;
  /** Feeds one console line (already printed by the board). */
  line(text: string, t?: number): void;
  /** Feeds one transcript line of a session (from the embedded server). */
  transcript(session: string, text: string): void;
  /** Something else the page shows changed (an input, WiFi, power, a fault). */
  changed(): void;
  /** Called whenever something changed. */
  onChange(fn: (what: "line" | "state", line?: LogLine) => void): void;
}

/**
 * secrets: strings never shown (the SMTP password and its AUTH PLAIN/LOGIN encodings), on top of the
 * server's own redaction. mails: the server's received list, to tie a "sent" line to its mail.
 */
export function createJournal(opts: { secrets: string[] }): Journal & { attach(board: SimBoard, mails: () => ReceivedMail[]): void } {
  const listeners: ((what: "line" | "state", line?: LogLine) => void)[] = [];
  const emit = (what: "line" | "state", line?: LogLine) => listeners.forEach((l) => l(what, line));
  const hidden = opts.secrets.filter((s) => s.length >= 3);
  const redact = (s: string) => hidden.reduce((acc, h) => acc.split(h).join("****"), s);
  let board: SimBoard | null = null;
  let mails: () => ReceivedMail[] = () => [];
  /** Outbox files seen at the last look, to find the one a "queued" line wrote. */
  let known = new Set<string>();
  let nextPath = 1;
  let lineId = 0;

  const j = {
    lines: [] as LogLine[],
    sessions: new Map<string, Session>(),
    paths: [] as AlertPath[],
    nextRetryAt: 0,
    line(text: string, t = Date.now()) {
      const l: LogLine = { id: ++lineId, t, text: redact(text) };
      j.lines.push(l);
      if (j.lines.length > MAX_LINES) j.lines.splice(0, j.lines.length - MAX_LINES);
      if (j.paths.length > MAX_PATHS) j.paths.splice(0, j.paths.length - MAX_PATHS);
      emit("line", l);
      if (follow(l)) emit("state");
    },
    transcript(session: string, text: string) {
      let s = j.sessions.get(session);
      if (!s) {
        s = { id: session, start: Date.now(), lines: [], last: "", closed: false };
        j.sessions.set(session, s);
        if (j.sessions.size > MAX_SESSIONS) j.sessions.delete(j.sessions.keys().next().value!);
      }
      const line = redact(text);
      s.lines.push({ t: Date.now(), text: line });
      if (line.startsWith("S: ")) s.last = line.slice(3);
      if (/^· .*[Cc]onnection closed|close" event/.test(line)) s.closed = true;
      emit("state");
    },
    changed() {
      emit("state");
    },
    onChange(fn: (what: "line" | "state", line?: LogLine) => void) {
      listeners.push(fn);
    },
    attach(b: SimBoard, m: () => ReceivedMail[]) {
      board = b;
      mails = m;
      known = new Set(); // files already there at start are picked up by the first "queued" line's look
    },
  };

  /** Oldest unfinished path with this subject (a digest's subject carries " (+N more)"). */
  function open(subject: string): AlertPath | undefined {
    const base = subject.replace(/ \(\+\d+ more\)$/, "");
    return j.paths.find((p) => (p.state === "stored" || p.state === "retrying") && (p.subject === subject || p.subject === base));
  }

  /** Session whose transcript carries this reply (the server's "250 … queued as …"). */
  function sessionWith(reply: string): string | undefined {
    const ids = [...j.sessions.keys()].reverse();
    return ids.find((id) => j.sessions.get(id)!.lines.some((l) => l.text === `S: ${reply}`));
  }

  /** Updates the alert paths from one firmware line; true if anything changed. */
  function follow(l: LogLine): boolean {
    const m = /^alertmail: (.*)$/.exec(l.text);
    if (!m) {
      if (/^web: power cut/.test(l.text)) {
        for (const p of j.paths) if (p.state === "stored" || p.state === "retrying") p.failures.push({ t: l.t, why: "power cut; the alert stays in Storage" });
        return true;
      }
      const r = /^sim: (reboot \((.*)\)|boot #)/.exec(l.text);
      if (!r) return false;
      j.nextRetryAt = 0; // a new boot: the firmware's timers are gone, it sends what Storage holds when WiFi is up
      // What waited (or was being sent) lives on in Storage: the path says the board restarted meanwhile.
      if (r[2]) for (const p of j.paths) if (p.state === "stored" || p.state === "retrying") p.failures.push({ t: l.t, why: `board restarted (${r[2]}); the alert stays in Storage` });
      return true;
    }
    const msg = m[1];
    let x: RegExpExecArray | null;
    if ((x = /^queued "(.*)"$/.exec(msg))) {
      const files = board ? outboxFiles(board) : [];
      const fresh = files.filter((f) => !known.has(f));
      // Files that vanished without a "sent" line were erased to make room (outbox full).
      for (const p of j.paths) {
        if ((p.state === "stored" || p.state === "retrying") && p.file && !files.includes(p.file)) {
          p.state = "dropped";
          p.dropped = "erased from Storage to make room (outbox full); the next mail reports it";
        }
      }
      known = new Set(files);
      const file = fresh.length ? fresh[fresh.length - 1] : "";
      const entry = board && file ? readOutboxEntry(board, file) : null;
      j.paths.push({
        id: nextPath++,
        rule: entry?.rule ?? "",
        subject: x[1],
        raisedAt: l.t,
        file,
        bytes: entry?.bytes ?? 0,
        state: "stored",
        failures: [],
      });
      return true;
    }
    if ((x = /^sent "(.*)" to \d+ recipient\(s\): (.*)$/.exec(msg))) {
      const p = open(x[1]);
      if (!p) return false;
      p.state = "sent";
      p.reply = x[2];
      p.session = sessionWith(x[2]);
      const list = mails();
      let i = list.length - 1;
      while (i >= 0 && list[i].parsed.subject !== x[1]) i--;
      if (i >= 0) {
        p.mail = i + 1;
        p.sentAt = list[i].acceptedAt;
      } else p.sentAt = l.t;
      if (!j.paths.some((q) => q.state === "retrying")) j.nextRetryAt = 0;
      return true;
    }
    if ((x = /^failed "(.*)" permanently: (.*)$/.exec(msg))) {
      const p = open(x[1]);
      if (!p) return false;
      p.failures.push({ t: l.t, why: `failed: ${x[2]}` });
      p.state = "dropped";
      p.dropped = `refused permanently: ${x[2]}`;
      return true;
    }
    if ((x = /^failed "(.*)": (.*)$/.exec(msg))) {
      const p = open(x[1]);
      if (!p) return false;
      p.failures.push({ t: l.t, why: `failed: ${x[2]}` });
      p.state = "retrying";
      return true;
    }
    if ((x = /^could not store "(.*)": (.*)$/.exec(msg))) {
      j.paths.push({ id: nextPath++, rule: "", subject: x[1], raisedAt: l.t, file: "", bytes: 0, state: "dropped", failures: [], dropped: `not stored: ${x[2]}` });
      return true;
    }
    if ((x = /^retry in (\d+) s$/.exec(msg))) {
      j.nextRetryAt = l.t + Number(x[1]) * 1000;
      return true;
    }
    return false;
  }

  return j;
}
