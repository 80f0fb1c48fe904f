// SMTP reply reader (RFC 5321 §4.2): reads complete replies out of the bytes received so far; plain data
// (the caller's one ReplyReader per session), no closure. Splits on "\n" only and strips "\r"
// (docs/espruino.md trap 1: search single characters).

/** RFC 5321 §4.5.3.1.5 allows 512 bytes per reply line; we tolerate 1 KB before calling it an attack. */
export const MAX_LINE = 1024;
/**
 * A multi-line reply larger than this is a protocol error, not an unbounded buffer: EHLO lists are
 * under 1 KB, and the board has ~48 KB of variables in all (docs/espruino.md §4).
 */
export const MAX_REPLY = 4096;

/** Bytes received and not read yet (add to it), the lines of a reply begun, the last reply's text. */
export interface ReplyReader {
  buf: string;
  acc: string;
  text: string;
}

/**
 * Reads the next complete reply out of r.buf: returns its code and leaves its text in r.text (its lines
 * joined with "\n", codes and enhanced status codes (RFC 3463) kept). 0: no complete reply yet. -1: a
 * malformed or oversized reply, r.text says what; the caller drops the connection and reads no more.
 */
export function readReply(r: ReplyReader): number {
  for (;;) {
    const nl = r.buf.indexOf("\n");
    if (nl < 0) {
      if (r.buf.length <= MAX_LINE + 1) return 0; // + 1: its "\r" may be here already
      break;
    }
    let line = r.buf.slice(0, nl);
    r.buf = r.buf.slice(nl + 1);
    if (line.charCodeAt(nl - 1) === 13) line = line.slice(0, -1);
    if (line.length > MAX_LINE) break;
    const k = line.slice(0, 3);
    const code = +k;
    const sep = line.charAt(3);
    // reply-line = 3DIGIT [SP / "-"] text (RFC 5321 §4.2); 1yz is not used by SMTP. Plain string code, no
    // regular expression per line: "" + code == k keeps out what + also reads as a number ("2e2", " 25").
    if (!(code > 199 && code < 600 && "" + code == k) || (sep !== "" && sep !== " " && sep !== "-")) {
      r.text = "bad reply line: " + line.slice(0, 80);
      return -1;
    }
    r.acc = r.acc ? r.acc + "\n" + line : line;
    if (r.acc.length > MAX_REPLY) break;
    if (sep !== "-") {
      r.text = r.acc;
      r.acc = "";
      return code;
    }
  }
  r.buf = r.acc = "";
  r.text = "reply too long";
  return -1;
}
