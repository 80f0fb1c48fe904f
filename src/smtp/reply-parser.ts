// SMTP reply parser (RFC 5321 §4.2): fed byte strings of any size, calls back once per complete reply.
// Splits on "\n" only and strips "\r" (docs/espruino.md trap 1: search single characters).

/** RFC 5321 §4.5.3.1.5 allows 512 bytes per reply line; we tolerate 1 KB before calling it an attack. */
export const MAX_LINE = 1024;
/**
 * A multi-line reply larger than this is a protocol error, not an unbounded buffer: EHLO lists are
 * under 1 KB, and the board has ~48 KB of variables in all (docs/espruino.md §4).
 */
export const MAX_REPLY = 4096;

/**
 * Returns feed(bytes). onReply(code, text) gets each reply, text = its lines joined with "\n"
 * (codes and enhanced status codes (RFC 3463) kept). onError(message) is called once on a malformed
 * or oversized reply; after it the parser ignores all input.
 */
export function createReplyParser(
  onReply: (code: number, text: string) => void,
  onError: (message: string) => void,
): (bytes: string) => void {
  let buf = "";
  let acc = "";
  let dead = false;
  return function feed(bytes) {
    buf += bytes;
    while (!dead) {
      const nl = buf.indexOf("\n");
      if (nl < 0) {
        if (buf.length > MAX_LINE + 1) break; // + 1: its "\r" may be here already
        return;
      }
      let line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
      if (line.length > MAX_LINE) break;
      const sep = line.charAt(3);
      // reply-line = 3DIGIT [SP / "-"] text (RFC 5321 §4.2); 1yz is not used by SMTP.
      if (!/^[2-5]\d\d/.test(line) || (sep !== "" && sep !== " " && sep !== "-")) {
        dead = true;
        onError("bad reply line: " + line.slice(0, 80));
        return;
      }
      acc = acc ? acc + "\n" + line : line;
      if (acc.length > MAX_REPLY) break;
      if (sep !== "-") {
        const text = acc;
        acc = "";
        onReply(+line.slice(0, 3), text);
      }
    }
    if (!dead) {
      dead = true;
      buf = acc = "";
      onError("reply too long");
    }
  };
}
