// A body part's transfer encoding (RFC 2045 §6) chosen by cost on the board, and a reader that encodes the
// part slice by slice into CRLF lines, so no whole encoded body is ever held.
import { base64 } from "../platform/base64.ts";

/** Constants inlined by the bundler (a module-level const would stay in the board's variables). */
const enum K {
  /** Raw bytes encoded per call: at worst QP triples them (+ soft breaks) and CRLF doubles "\n": ≤ ~2 KB out. */
  SLICE = 320,
  /** RFC 2045 §6.8: base64 lines of 76 characters = 57 input bytes. */
  B64_LINE = 57,
}

/**
 * Picks "7bit", "quoted-printable" or "base64" for a text body.
 * 7bit: ASCII without NUL, lines ≤ 998 bytes (RFC 5322 §2.1.1), and no "--=_" (so the multipart boundary,
 * which starts with "=_", cannot occur in any part: QP writes "=" as "=3D", base64 has no "_").
 * Otherwise by cost on the board = JS calls (replace callbacks + per-line loop turns) + bytes / 100 (a 2 KB
 * piece costs the SMTP layer ~20 calls to stuff, write and drain). Measured on Node by
 * test/mime/encoding-cost.test.ts (multipart part; QP: callbacks + soft-wrap turns; base64: btoa turns):
 *   sample (bytes, % non-ASCII)        QP                           base64
 *   English alert with °C (112, 3.6)   4 cb + 4 turns, 127 B        2 turns, 156 B    → base64
 *   English report (3500, 0.1)         4 cb + 82 turns, 3671 B      63 turns, 4850 B  → QP (parity)
 *   French alert (1158, 12.4)          144 cb + 31 turns, 1502 B    21 turns, 1610 B  → base64
 *   10,000-char ASCII line (0)         0 cb + 141 turns, 10422 B    176 turns, 13688 B → QP
 *   CJK (1380, 99)                     1368 cb + 61 turns, 4274 B   25 turns, 1906 B  → base64
 *   emoji (1800, 75)                   1350 cb + 61 turns, 4622 B   33 turns, 2506 B  → base64
 * QP pays one callback per escaped byte and a turn per output line; base64 a turn per 57 bytes and 37 %
 * more bytes. They meet near 1 escaped byte in 128; at parity QP is kept (readable, smaller on the wire).
 * Counting escaped bytes is one native replace over runs: CJK costs one match per run, not per byte.
 */
export function chooseEncoding(s: string): string {
  // A KB at a time: replace() copies, and a 20 KB body must not be copied whole; and on the board a
  // string is a chain of blocks, so indexOf(x, from) walks from its start: lines are found within a KB.
  let escaped = 0;
  let start = 0; // where the current line starts
  let long = false;
  for (let i = 0; i < s.length; i += 1024) {
    const p = s.substr(i, 1024);
    escaped += p.length - p.replace(/[\x00\x80-\xff]+/g, "").length;
    for (let q = p.indexOf("\n"); q >= 0; q = p.indexOf("\n", q + 1)) {
      if (i + q - start > 998) long = true;
      start = i + q + 1;
    }
  }
  if (!escaped && !long && s.length - start < 999 && !/--=_/.test(s)) return "7bit";
  return escaped * 128 < s.length ? "quoted-printable" : "base64";
}

/** "=XX" for the first byte of a match; a matched "[ \t]\n" keeps its "\n" (RFC 2045 §6.7 rule 3). */
function qpByte(m: string): string {
  return "=" + (m.charCodeAt(0) | 256).toString(16).slice(1).toUpperCase() + m.slice(1);
}

/**
 * Quoted-printable (RFC 2045 §6.7) of t, whose lines end in "\n": lines of at most 76 characters, split with
 * soft breaks "=" that never cut an "=XX"; a last line without "\n" ends in a soft break (more follows).
 */
function quotedPrintable(t: string): string {
  const e = t.replace(/[\x00-\x08\x0b-\x1f\x7f\x80-\xff=]|[ \t]\n/g, qpByte);
  let out = "";
  let p = 0;
  while (p < e.length) {
    const nl = e.indexOf("\n", p);
    let end = nl < 0 ? e.length : nl;
    if (end - p > (nl < 0 ? 75 : 76)) {
      end = p + 75;
      if (e[end - 1] == "=") end--;
      else if (e[end - 2] == "=") end -= 2;
      out += e.slice(p, end) + "=\r\n";
      p = end;
    } else {
      out += e.slice(p, end) + (nl < 0 ? "=\r\n" : "\r\n");
      p = end + 1;
    }
  }
  return out;
}

/** A string as a piece source (512 B per call), so one reader serves strings and Storage. */
export function stringSource(s: string): () => string | null {
  let p = 0;
  return function () {
    if (p >= s.length) return null;
    p += 512;
    return s.substr(p - 512, 512);
  };
}

/**
 * Encodes a body (a string, or a piece source reading it from Storage) in enc a slice at a time: each call
 * returns the next CRLF lines (≤ ~2 KB), null when done. The whole body is never held.
 * Line breaks become CRLF (RFC 2046 §4.1.1). In a multipart, 7bit and QP text gets one more line break,
 * which the delimiter takes back (RFC 2046 §5.1.1), so the text reads back exactly; a lone part ends with
 * one, added if missing, as it would after SMTP anyway (RFC 5321 §4.1.1.4).
 */
export function bodyReader(s: string | (() => string | null), enc: string, multipart: boolean): () => string | null {
  const src = typeof s == "string" ? stringSource(s) : s;
  let buf = "";
  let eof = false;
  let carry = "";
  let done = false;
  return function () {
    if (done) return null;
    while (!eof && buf.length <= K.SLICE) {
      const p = src();
      if (p === null) eof = true;
      else buf += p;
    }
    let t = buf.slice(0, K.SLICE);
    // Cut after the slice's last "\n" when more follows, so QP lines rarely need a soft break here.
    if (buf.length > K.SLICE) {
      const nl = t.lastIndexOf("\n");
      if (nl >= 0) t = t.slice(0, nl + 1);
    }
    buf = buf.slice(t.length);
    done = eof && !buf.length;
    t = t.replace(/\r/g, "");
    if (done && (multipart ? enc != "base64" : t && t[t.length - 1] != "\n")) t += "\n";
    if (enc == "base64") {
      t = carry + t.replace(/\n/g, "\r\n");
      const n = done ? t.length : t.length - (t.length % K.B64_LINE);
      let out = "";
      for (let i = 0; i < n; i += K.B64_LINE) out += base64(t.substr(i, K.B64_LINE)) + "\r\n";
      carry = t.slice(n);
      return out;
    }
    return enc == "7bit" ? t.replace(/\n/g, "\r\n") : quotedPrintable(t);
  };
}
