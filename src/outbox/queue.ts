// The outbox in Storage: one small file per alert ("amq<seq>"), written before any attempt, erased only after a 250;
// a notes file keeps what the next mail must report (alerts dropped when full, damaged records, permanent refusals).
// A file is a JSON line (the subject in base64) then the raw body bytes: the board's JSON.stringify writes every
// non-ASCII byte as \u00XX (6 bytes; docs/espruino.md probe 342), so a JSON body in CJK would cost 6× in flash and RAM.
import type { Mailbox } from "../config.ts";
import type { Store } from "../platform/storage.ts";

/** One queued alert, rendered when raised. */
export interface QueuedAlert {
  /** Rule name ("" for alertmail.send / test). */
  r: string;
  /** Subject and body as UTF-8 byte strings; h = 1 when the body is HTML. */
  s: string;
  b: string;
  h: number;
  /** Recipients overriding smtp.to; empty = smtp.to. */
  to?: Mailbox[];
  /** Envelope-only recipients of a resend to those who answered RCPT with 4xx: the headers stay the same. */
  e?: string[];
  /** Fold into one digest with other alerts of the same rule. */
  g?: number;
  /** Raise time (ms since 1970; before SNTP the board counts from 1970). */
  at: number;
  /** Message-ID without <>, fixed at raise time so a resend after a lost 250 keeps it. */
  id: string;
  /**
   * Torn-write guard: CRC-32 of the body (E.CRC32 through platform/). The board writes a file's header
   * with its full size first, then the data, so a power cut leaves a full-length file ending in 0xFF.
   */
  k: number;
}

/** What the next successful mail reports; persisted in NOTES_FILE. */
export interface Notes {
  /** Alerts dropped because the outbox was full. */
  d: number;
  /** Damaged (torn or corrupt) records skipped. */
  c: number;
  /** Permanent refusals, one line each (newest kept). */
  f: string[];
}

export const QUEUE_PREFIX = "amq";
export const NOTES_FILE = "amnotes";
const MAX_NOTE_LINES = 5;
/** A note line is cut here: a server's 4 KB reply must not grow every later mail (issue 17 defect 8). */
const MAX_NOTE_CHARS = 200;

export interface Queue {
  notes: Notes;
  /** Files of the batch being sent now (set by the sender): never dropped to make room. */
  sending: string[];
  /** Queue file names, oldest first. */
  names(): string[];
  /** Persists an alert (dropping the oldest not being sent when full); returns its file name. Takes `a` over. */
  add(a: QueuedAlert): string;
  /** The alert in a file, or null if it is damaged (then erased and counted) or gone. */
  load(name: string): QueuedAlert | null;
  remove(name: string): void;
  note(line: string): void;
  saveNotes(): void;
}

function seqOf(name: string): number {
  return +name.slice(QUEUE_PREFIX.length);
}

function isStr(v: any): boolean {
  return typeof v == "string";
}

/** Does a parsed header have every field of a QueuedAlert with its type? (A record of another shape is damage.) */
function valid(a: any): boolean {
  return (
    a && isStr(a.r) && isStr(a.s) && typeof a.h == "number" && typeof a.at == "number" && isStr(a.id) &&
    (a.g === undefined || typeof a.g == "number") &&
    (a.to === undefined || (Array.isArray(a.to) && a.to.every(function (m: any) { return m && isStr(m.name) && isStr(m.address); }))) &&
    (a.e === undefined || (Array.isArray(a.e) && a.e.length > 0 && a.e.every(isStr)))
  );
}

export function openQueue(store: Store, max: number, crc: (s: string) => number): Queue {
  let notes: Notes = { d: 0, c: 0, f: [] };
  try {
    const n = JSON.parse(store.read(NOTES_FILE) || "{}");
    notes = { d: n.d | 0, c: n.c | 0, f: Array.isArray(n.f) ? n.f : [] };
  } catch (e) {
    notes.c++;
  }
  let seq = 0;

  function names(): string[] {
    return store
      .list(/^amq\d+$/) // QUEUE_PREFIX and a sequence number, nothing else
      .sort(function (a, b) {
        return seqOf(a) - seqOf(b);
      });
  }
  function saveNotes() {
    try {
      store.write(NOTES_FILE, JSON.stringify(q.notes));
    } catch (e) {}
  }
  const q: Queue = {
    notes: notes,
    sending: [],
    names: names,
    add: function (a) {
      a.k = crc(a.b);
      const all = names();
      // Full: drop the oldest, but never one the batch in flight carries (it is delivered, not lost);
      // while a batch holds them all the outbox may exceed max by that batch.
      const old = all.filter(function (n) {
        return q.sending.indexOf(n) < 0;
      });
      for (let n = all.length; n >= max && old.length; n--) {
        store.erase(old.shift()!);
        q.notes.d++;
        saveNotes();
      }
      if (all.length) seq = Math.max(seq, seqOf(all[all.length - 1]));
      const name = QUEUE_PREFIX + ++seq;
      const body = a.b;
      a.s = btoa(a.s);
      a.b = "";
      store.write(name, JSON.stringify(a) + "\n" + body);
      return name;
    },
    load: function (name) {
      const raw = store.read(name);
      if (raw === undefined) return null;
      try {
        const i = raw.indexOf("\n");
        const a = JSON.parse(raw.slice(0, i));
        a.b = raw.slice(i + 1);
        if (i > 0 && valid(a) && a.k === crc(a.b)) {
          a.s = atob(a.s);
          return a;
        }
      } catch (e) {}
      // Counted (and saved) before the erase: a power cut between the two never loses the report.
      q.notes.c++;
      saveNotes();
      store.erase(name);
      return null;
    },
    remove: function (name) {
      store.erase(name);
    },
    note: function (line) {
      q.notes.f.push(line.slice(0, MAX_NOTE_CHARS));
      if (q.notes.f.length > MAX_NOTE_LINES) q.notes.f.splice(0, 1);
      saveNotes();
    },
    saveNotes: saveNotes,
  };
  return q;
}
