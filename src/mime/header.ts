// Header fields from UTF-8 byte strings: control characters out, non-ASCII into RFC 2047 B words, mailboxes
// validated, lines folded at 76. Regexes here keep to what Espruino's matcher gets right (docs/espruino.md
// trap 2; also: no "|" inside a group or a class, no "^" in an alternative, no range across \x7f/\x80 —
// test/mime/espruino-regex.ts models it).
import type { Mailbox } from "../config.ts";
import { isAddress } from "./address.ts";
import { base64 } from "../platform/base64.ts";

/** Constants inlined by the bundler (a module-level const would stay in the board's variables). */
const enum K {
  /** RFC 2047 §2: a line holding an encoded word is at most 76 characters (RFC 5322 §2.2.3 asks 78). */
  FOLD_AT = 76,
  /**
   * RFC 2047 §2: an encoded word is at most 75 characters. 39 bytes → 52 base64 characters + 12 of
   * "=?UTF-8?B?" and "?=" = 64, so "Subject: " + one word still fits in 76.
   */
  WORD_BYTES = 39,
  /** An unencoded word longer than this could not be folded under 76 after "Subject: ": encode instead. */
  LONG_WORD = 66,
}

/** RFC 2047 B words of at most WORD_BYTES bytes each, never splitting a UTF-8 sequence. */
export function encodeWords(s: string): string[] {
  const words: string[] = [];
  let p = 0;
  while (p < s.length) {
    let e = p + K.WORD_BYTES;
    // Back up over continuation bytes (10xxxxxx) so the word ends before a lead byte: at most 3.
    while (e > p + K.WORD_BYTES - 3 && (s.charCodeAt(e) & 0xc0) == 0x80) e--;
    words.push("=?UTF-8?B?" + base64(s.slice(p, e)) + "?=");
    p = e;
  }
  return words;
}

/**
 * The words of an unstructured value or display name, cleaned, ready to fold. Plain words when the value is
 * printable ASCII that survives unfolding as is; otherwise encoded words. phrase: quote RFC 5322 specials.
 */
export function headerWords(s: string, phrase: boolean): string[] {
  // Every control character but TAB (CR, LF and NUL included) becomes a space: no value can start a header.
  s = s.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, " ");
  if (!s) return [];
  const words = s.split(" ");
  // Non-ASCII, TAB, "=?" (would read as an encoded word), double or edge spaces (lost in unfolding), long words.
  if (
    /[^\x20-\x7e]|=[?]|  /.test(s) ||
    s.charCodeAt(0) == 32 ||
    s.charCodeAt(s.length - 1) == 32 ||
    words.some(function (w) {
      return w.length > K.LONG_WORD;
    })
  )
    return encodeWords(s);
  // RFC 5322 §3.2.3 atext and spaces may stand bare in a phrase; anything else goes in a quoted-string.
  if (phrase && /[^-\w !#$%&'*+\/=?^`{\|}~]/.test(s)) return ('"' + s.replace(/(["\\])/g, "\\$1") + '"').split(" ");
  return words;
}

/** An addr-spec the board may write (mime/address.ts, the one definition), or an error naming the field. */
function checkAddress(a: string, field: string): string {
  if (!isAddress(a)) {
    const e: any = new Error("bad address in " + field);
    e.code = "EMESSAGE";
    e.field = field;
    throw e;
  }
  return a;
}

/** The words of a mailbox list, "," after each mailbox but the last; errors name "from", "to[i]" or "cc[i]". */
export function mailboxWords(list: Mailbox[], field: string): string[] {
  let words: string[] = [];
  list.forEach(function (m, i) {
    const a = checkAddress(m.address, field == "from" ? field : field + "[" + i + "]");
    const name = headerWords(m.name, true);
    words = words.concat(name.length ? name.concat("<" + a + ">") : [a]);
    if (i < list.length - 1) words[words.length - 1] += ",";
  });
  return words;
}

/** "Name: w1 w2 …\r\n", folded (CRLF before the space) where a line would pass FOLD_AT. */
export function foldHeader(name: string, words: string[]): string {
  let out = name + ":";
  let col = out.length;
  words.forEach(function (w) {
    if (col + 1 + w.length > K.FOLD_AT && col > name.length + 1) {
      out += "\r\n";
      col = 0;
    }
    out += " " + w;
    col += 1 + w.length;
  });
  return out + "\r\n";
}
