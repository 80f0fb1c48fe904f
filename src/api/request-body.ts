// The request body of one mail, handed out in pieces (the alert's text in slices of at most 512 bytes,
// escaped one slice at a time), so neither the whole body nor its escaped copy is ever held at once.
import type { Mailbox } from "../config.ts";
import { escapeJson } from "./json-escape.ts";
import type { ApiSettings } from "./settings.ts";

/** One mail as the API transport takes it: the composer's fields (mime/compose.ts) plus bcc. */
export interface ApiMail {
  from: Mailbox;
  to: Mailbox[];
  cc: Mailbox[];
  bcc: Mailbox[];
  subject: string;
  text?: string;
  /** Set for an HTML alert (then text is not sent). */
  html?: string;
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
  const html = m.html != null;
  const text = (html ? m.html : m.text) || "";
  const parts = a.body;
  let i = 0;
  let off = 0;
  const list = function (l: Mailbox[]) {
    return l
      .map(function (b) {
        return a.item[b.name ? 0 : 1].split("\x01").join(enc(b.name)).split("\x02").join(enc(b.address));
      })
      .join(a.sep);
  };
  const field = function (f: string): string {
    if (f == "from") return list([m.from]);
    if (f == "subject") return enc(m.subject);
    if (f == "kind") return a.kinds[html ? 1 : 0];
    if (f == "id") return enc(m.messageId);
    const l: Mailbox[] = (m as any)[f] || [];
    const w = a.wrap[f] || ["", ""];
    return l.length ? w[0] + list(l) + w[1] : "";
  };
  return function () {
    while (i < parts.length) {
      const p = parts[i];
      if (p == "body" && i % 2) {
        if (off < text.length) return enc(text.slice(off, (off += SLICE)));
        i++;
        continue;
      }
      const v = i++ % 2 ? field(p) : p;
      if (v) return v;
    }
    return null;
  };
}
