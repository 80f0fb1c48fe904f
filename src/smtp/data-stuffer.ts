// Message content for DATA: CRLF line endings and dot-stuffing (RFC 5321 §4.5.2, §2.3.8), carried
// across piece boundaries, and the final "." line. Plain state (no closure per message); regexes
// limited to what Espruino runs.

/**
 * Where a message stands between pieces; a message starts with {}. cr: the last piece ended in "\r" (its
 * line break may go on in the next); mid: the bytes so far end inside a line.
 */
export interface Stuffing {
  cr?: boolean;
  mid?: boolean;
}

/** The wire bytes for piece; piece null ends the message with CRLF "." CRLF. */
export function stuffData(st: Stuffing, piece: string | null): string {
  let s = (st.cr ? "\r" : "") + (piece === null ? "" : piece);
  st.cr = piece !== null && s.charCodeAt(s.length - 1) === 13;
  if (st.cr) s = s.slice(0, -1);
  // A sentinel line break in front makes a leading "." get stuffed like any other.
  s = ((st.mid ? "" : "\n") + s)
    .replace(/\r\n/g, "\n")
    .replace(/\r/g, "\n")
    .replace(/\n\./g, "\n..")
    .replace(/\n/g, "\r\n");
  if (!st.mid) s = s.slice(2);
  if (s.length) st.mid = s.charCodeAt(s.length - 1) !== 10;
  if (piece === null) s += (st.mid ? "\r\n" : "") + ".\r\n";
  return s;
}
