// composeMessage: an alert's RFC 5322 / MIME message (text, HTML or both) handed out as CRLF pieces of
// at most ~2 KB, never dot-stuffed (the SMTP layer does that). Inputs and outputs are UTF-8 byte strings.
import type { Mailbox } from "../config.ts";
import { bodyReader, chooseEncoding } from "./body.ts";
import { formatDate } from "./date.ts";
import { foldHeader, headerWords, mailboxWords } from "./header.ts";
import { htmlTextSource, htmlToText } from "./html-to-text.ts";

export interface MailContent {
  from: Mailbox;
  to: Mailbox[];
  cc: Mailbox[];
  subject: string;
  text?: string;
  /** HTML body; when text is missing or empty the text alternative is derived from it. */
  html?: string;
  /** Epoch ms; omit while the clock is unsynced and the submission server adds Date (RFC 6409 §8.2). */
  date?: number;
  /** Minutes east of UTC for the Date zone (CET = 60); default 0. */
  tzOffsetMinutes?: number;
  /** Unique per device and message, without <>. */
  messageId: string;
  /**
   * The body read from Storage instead of text/html: open() gives a fresh piece source each call (the HTML
   * is read twice, for its text alternative and for itself); enc = its encoding, chosen when it was raised.
   */
  body?: { html: boolean; enc: string; open(): () => string | null };
}

/** Constants inlined by the bundler (a module-level const would stay in the board's variables). */
const enum K {
  /** Pieces are cut at a line end at most this long… */
  PIECE_MAX = 2048,
  /** …once at least this much is ready. */
  PIECE_MIN = 1024,
  /** "=_" cannot occur in base64 or quoted-printable output (RFC 2045 §6.7 note); 7bit parts are checked. */
  BOUNDARY = "=_alertmail",
}

/** A part's header lines and blank line, then its encoded body as a reader. */
function part(subtype: string, s: string | (() => string | null), multipart: boolean, enc?: string): (string | (() => string | null))[] {
  enc = enc || chooseEncoding(s as string);
  return [
    "Content-Type: text/" + subtype + "; charset=utf-8\r\nContent-Transfer-Encoding: " + enc + "\r\n\r\n",
    bodyReader(s, enc, multipart),
  ];
}

/**
 * Builds the header block now (so a bad address throws here, with its field in e.field) and returns the
 * piece source: each call gives the next piece, ending at a CRLF, or null at the end. Call again for a
 * fresh source.
 */
export function composeMessage(m: MailContent): () => string | null {
  const b = m.body;
  const html = b ? (b.html ? b.open() : null) : m.html;
  // The derived text of a stored HTML body: quoted-printable unless the HTML needs base64 (its long lines
  // and any "--=_" are then safe), so the text is never scanned whole to choose.
  const tenc = b && (b.html ? (b.enc == "base64" ? b.enc : "quoted-printable") : b.enc);
  const text = b ? (b.html ? htmlTextSource(b.open()) : b.open()) : m.text || (html != null ? htmlToText(html as string) : "");
  let items: (string | (() => string | null))[] = [
    foldHeader("From", mailboxWords([m.from], "from")) +
      // RFC 5322 §3.6.3: with every recipient hidden, an empty group keeps a To header.
      (m.to.length ? foldHeader("To", mailboxWords(m.to, "to")) : "To: undisclosed-recipients:;\r\n") +
      (m.cc.length ? foldHeader("Cc", mailboxWords(m.cc, "cc")) : "") +
      foldHeader("Subject", headerWords(m.subject, false)) +
      (m.date != null ? "Date: " + formatDate(m.date, m.tzOffsetMinutes || 0) + "\r\n" : "") +
      // RFC 5322 §3.6.4: printable ASCII without "<>" (and without "=?" that parsers would decode), one line.
      "Message-ID: <" +
      m.messageId.replace(/[^\x21-\x3b\x40-\x7e]/g, "").slice(0, 250) +
      ">\r\nMIME-Version: 1.0\r\n" +
      // RFC 3834 §5: keeps auto-responders quiet.
      "Auto-Submitted: auto-generated\r\n",
  ];
  if (html == null) items = items.concat(part("plain", text, false, tenc));
  else {
    const dash = "--" + K.BOUNDARY + "\r\n";
    items = items.concat(
      'Content-Type: multipart/alternative; boundary="' + K.BOUNDARY + '"\r\n\r\n' + dash,
      part("plain", text, true, tenc),
      dash,
      part("html", html, true, b && b.enc),
      "--" + K.BOUNDARY + "--\r\n",
    );
  }
  let i = 0;
  let buf = "";
  return function () {
    while (buf.length < K.PIECE_MIN && i < items.length) {
      const it = items[i];
      const s = typeof it == "string" ? it : it();
      if (s == null || typeof it == "string") i++;
      if (s != null) buf += s;
    }
    if (!buf) return null;
    const cut = buf.length <= K.PIECE_MAX ? buf.length : buf.slice(0, K.PIECE_MAX).lastIndexOf("\n") + 1 || K.PIECE_MAX;
    const piece = buf.slice(0, cut);
    buf = buf.slice(cut);
    return piece;
  };
}
