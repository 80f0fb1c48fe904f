// The outbox in Storage: one small file per alert ("amq<seq>"), written before any attempt, erased only after a 250;
// a notes file keeps what the next mail must report (alerts dropped when full, damaged records, permanent refusals).
// A file is a JSON line (the subject in base64) then the raw body bytes: the board's JSON.stringify writes every
// non-ASCII byte as \u00XX (6 bytes; docs/espruino.md probe 342), so a JSON body in CJK would cost 6× in flash and RAM.
// A body is never read whole: it is checked and sent PIECE bytes at a time (Storage.read(name, offset, length)).
import type { Mailbox } from "../config.ts";
import type { Store } from "../platform/storage.ts";
import { base64, unbase64 } from "../platform/base64.ts";

/** One queued alert, rendered when raised: the header line of its file (the body follows it in the file). */
export interface QueuedAlert {
  /** Rule name ("" for alertmail.send / test). */
  r: string;
  /** Subject as UTF-8 bytes (base64 in the file); h = 1 when the body is HTML. */
  s: string;
  h: number;
  /** Body transfer encoding chosen when raised (mime/body.ts), so no send scans the whole body. */
  c?: string;
  /** Recipients overriding smtp.to; empty = smtp.to. */
  to?: Mailbox[];
  /** Envelope-only recipients of a resend to those who answered RCPT with 4xx: the headers stay the same. */
  e?: string[];
  /** Fold into one digest with other alerts of the same rule. */
  g?: number;
  /** Raise time (ms since 1970); 0 = raised before the clock was set, then `m` says when. */
  at: number;
  /** Raised before the clock was set: ms since boot (`u` = that boot's id); the sender dates it once SNTP has run. */
  m?: number;
  u?: number;
  /** Message-ID without <>, fixed at raise time so a resend after a lost 250 keeps it. */
  id: string;
  /**
   * Torn-write guard: CRC-32 (E.CRC32 through platform/) of the body, folded piece by piece. The board
   * writes a file's header with its full size first, then the data, so a power cut leaves a full-length
   * file ending in 0xFF, which only a checksum sees.
   */
  k: number;
  /** Body bytes; where they start in the file (set by load). */
  n: number;
  o?: number;
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

export const NOTES_FILE = "amnotes";
/** Constants inlined by the bundler (a module-level const would stay in the board's variables). */
const enum K {
  /** Outbox files are QUEUE_PREFIX and a sequence number. */
  QUEUE_PREFIX = "amq",
  MAX_NOTE_LINES = 5,
  /** A note line is cut here: a server's 4 KB reply must not grow every later mail (issue 17 defect 8). */
  MAX_NOTE_CHARS = 200,
  /** Bytes read from Storage at a time; a header line is read in one piece of at most HEAD_MAX. */
  PIECE = 1024,
  /** Bytes read at a time while a body is sent (less held at once than a PIECE). */
  SEND_PIECE = 512,
  HEAD = 512,
  HEAD_MAX = 32768,
}

/**
 * The outbox: it alone owns its files, their sequence, the leases of the batch in flight and the notes
 * (every change to the notes is saved by the method that makes it: nobody else writes or saves them).
 */
export interface Queue {
  /** What the next mail reports: read it, never change it (lost, and a batch's reported and note do, and save it). */
  readonly notes: Notes;
  /** Outbox file names, oldest first (leased or not). */
  names(): string[];
  /**
   * Persists an alert and its body (dropping the oldest not leased when full); returns its file name.
   * Takes `a` over. body: a string, or another file's body() (a copy keeps that file's n and k).
   */
  add(a: QueuedAlert, body: string | (() => string | null)): string;
  /** An alert that could not be stored: counted like one dropped from a full outbox, and saved. */
  lost(): void;
  /**
   * Opens the batch being sent (one at a time: a new one ends the last). Its methods exist only while mail
   * moves, like the SMTP client: a function alive at rest costs variables on the board.
   */
  batch(): Batch;
}

/** The outbox as the batch being sent sees it: its leases, and what each result does to the files and notes. */
export interface Batch {
  /**
   * The header of a file whose body checks out, leased to this batch (never dropped to make room); null when
   * it is leased already, gone, or damaged (then counted, reported and erased).
   */
  lease(name: string): QueuedAlert | null;
  /** Gives the lease on one file back (it goes in a later batch). */
  release(name: string): void;
  /** The body of a leased alert as a piece source (≤ 512 bytes per call, null at the end). */
  body(name: string, a: QueuedAlert): () => string | null;
  /** Erases a file: after its 250, its 4xx copy or its permanent refusal (each already noted and saved). */
  remove(name: string): void;
  /** A mail carrying these notes was accepted: they are taken off, and saved. */
  reported(n: Notes): void;
  /** A permanent refusal for the next mail to report (the newest MAX_NOTE_LINES kept), saved. */
  note(line: string): void;
  /** The batch is over: every lease it holds is given back. */
  close(): void;
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

  /** The checksum of `n` bytes taken PIECE at a time from piece(offset): CRC-32 of each piece, folded. */
  function sum(n: number, piece: (o: number) => string): number {
    let k = 0;
    for (let o = 0; o < n; o += K.PIECE) k = (k * 31 + crc(piece(o))) % 4294967296;
    return k;
  }
  function names(): string[] {
    return store
      .list(new RegExp("^" + K.QUEUE_PREFIX + "\\d+$")) // the prefix and a sequence number, nothing else
      .sort(function (a, b) {
        return +a.slice(K.QUEUE_PREFIX.length) - +b.slice(K.QUEUE_PREFIX.length);
      });
  }
  /** Saves the notes (by whichever method changed them). */
  function save() {
    try {
      store.write(NOTES_FILE, JSON.stringify(notes));
    } catch (e) {}
  }
  /** Files leased to the open batch (none when no batch is open). */
  let leased: string[] = [];
  const q: Queue = {
    notes: notes,
    names: names,
    add: function (a, body) {
      if (typeof body == "string") {
        a.n = body.length;
        a.k = sum(a.n, function (o) {
          return body.substr(o, K.PIECE);
        });
      }
      const all = names();
      // Full: drop the oldest, but never one the batch in flight carries (it is delivered, not lost);
      // while a batch holds them all the outbox may exceed max by that batch.
      const old = all.filter(function (n) {
        return leased.indexOf(n) < 0;
      });
      for (let n = all.length; n >= max && old.length; n--) {
        notes.d++;
        save();
        store.erase(old.shift()!);
      }
      if (all.length) seq = Math.max(seq, +all[all.length - 1].slice(K.QUEUE_PREFIX.length));
      const name = K.QUEUE_PREFIX + ++seq;
      a.s = base64(a.s);
      delete a.o;
      const head = JSON.stringify(a) + "\n";
      // The header with the file's full size, then the body in place: never one string of both.
      store.write(name, head, 0, head.length + a.n);
      if (typeof body == "string") {
        if (a.n) store.write(name, body, head.length);
      } else for (let o = head.length, p = body(); p !== null; o += p.length, p = body()) store.write(name, p, o);
      return name;
    },
    lost: function () {
      notes.d++;
      save();
    },
    batch: function () {
      const files: string[] = [];
      leased = files;
      const b: Batch = {
        lease: function (name) {
          if (files.indexOf(name) >= 0) return null;
          // Made only while a record is checked, not kept at rest (each function costs variables on the board).
          const isStr = function (v: any) {
            return typeof v == "string";
          };
          const isNum = function (v: any) {
            return typeof v == "number";
          };
          let h = store.read(name, 0, K.HEAD);
          if (h === undefined) return null;
          try {
            // A long subject or recipient list: read the header again, larger, until its line ends.
            for (let l: number = K.HEAD; h.indexOf("\n") < 0 && h.length == l && l < K.HEAD_MAX; ) h = store.read(name, 0, (l *= 4))!;
            const i = h.indexOf("\n");
            const a = JSON.parse(h.slice(0, i));
            // Every field of a QueuedAlert with its type: a record of another shape is damage.
            if (
              i > 0 && a && isStr(a.r) && isStr(a.s) && isNum(a.h) && isNum(a.at) && isStr(a.id) && isNum(a.n) && isNum(a.k) &&
              (a.g === undefined || isNum(a.g)) &&
              (a.to === undefined || (Array.isArray(a.to) && a.to.every(function (m: any) { return m && isStr(m.name) && isStr(m.address); }))) &&
              (a.e === undefined || (Array.isArray(a.e) && a.e.length > 0 && a.e.every(isStr)))
            ) {
              a.o = i + 1;
              if (
                a.k ===
                sum(a.n, function (o) {
                  return store.read(name, a.o + o, Math.min(K.PIECE, a.n - o)) || "";
                })
              ) {
                a.s = unbase64(a.s);
                files.push(name);
                return a;
              }
            }
          } catch (e) {}
          // Counted (and saved) before the erase: a power cut between the two never loses the report.
          notes.c++;
          save();
          store.erase(name);
          return null;
        },
        release: function (name) {
          const i = files.indexOf(name);
          if (i >= 0) files.splice(i, 1);
        },
        body: function (name, a) {
          let o = 0;
          return function () {
            if (o >= a.n) return null;
            const p = store.read(name, a.o! + o, Math.min(K.SEND_PIECE, a.n - o)) || "";
            o += K.SEND_PIECE;
            return p;
          };
        },
        remove: function (name) {
          store.erase(name);
        },
        reported: function (n) {
          notes.d -= n.d;
          notes.c -= n.c;
          notes.f.splice(0, n.f.length);
          save();
        },
        note: function (line) {
          notes.f.push(line.slice(0, K.MAX_NOTE_CHARS));
          if (notes.f.length > K.MAX_NOTE_LINES) notes.f.splice(0, 1);
          save();
        },
        close: function () {
          files.splice(0, files.length);
        },
      };
      return b;
    },
  };
  return q;
}
