// The request body of one mail, handed out in pieces (the alert's text in slices of at most 512 bytes,
// escaped one slice at a time), so neither the whole body nor its escaped copy is ever held at once.
import type { Mailbox } from "../config.ts";
import { escapeJson } from "./json-escape.ts";
import type { ApiSettings } from "./settings.ts";

/** One mail as the API transport takes it: the composer's fields (mime/compose.ts MailContent) plus bcc. */
export interface ApiMail {
  from: Mailbox;
  to: Mailbox[];
  cc: Mailbox[];
  bcc: Mailbox[];
  subject: string;
  text?: string;
  /** Set for an HTML alert (then no text is sent). */
  html?: string;
  /** Or the body as stored in the outbox: open() gives a fresh piece source each call (read twice here). */
  body?: { html: boolean; open(): () => string | null };
  /** Without <>. */
  messageId: string;
}

/** Bytes of the alert's text escaped at a time: each slice grows at most 6× (a control byte → \u00XX). */
const SLICE = 512;

function raw(s: string): string {
  return s;
}

/** A fresh piece source each call: the next piece (never ""), null at the end. */
export function requestBody(a: ApiSettings, m: ApiMail): () => string | null {
  const enc = a.json ? escapeJson : raw;
  const b = m.body;
  const html = b ? b.html : m.html != null;
  // The body: a stored one read piece by piece, or a string; either way escaped SLICE bytes at a time.
  let more = b ? b.open() : null;
  let cur = (b ? "" : html ? m.html : m.text) || "";
  const parts = a.body;
  let i = 0;
  const list = function (l: Mailbox[]) {
    return l
      .map(function (x) {
        return a.item[x.name ? 0 : 1].split("\x01").join(enc(x.name)).split("\x02").join(enc(x.address));
      })
      .join(a.sep);
  };
  const field = function (f: string): string {
    if (f == "from") return list([m.from]);
    if (f == "subject") return enc(m.subject);
    if (f == "kind") return a.kinds[html ? 1 : 0];
    if (f == "id") return enc(m.messageId);
    const l: Mailbox[] = (m as any)[f] || [];
    const w = a.wrap[f];
    return w ? (l.length ? w[0] + list(l) + w[1] : "") : list(l);
  };
  return function () {
    while (i < parts.length) {
      const p = parts[i];
      if (p == "body" && i % 2) {
        while (!cur && more) {
          cur = more() || "";
          if (!cur) more = null;
        }
        if (cur) {
          const s = enc(cur.slice(0, SLICE));
          cur = cur.slice(SLICE);
          return s;
        }
        i++;
        continue;
      }
      const v = i++ % 2 ? field(p) : p;
      if (v) return v;
    }
    return null;
  };
}
