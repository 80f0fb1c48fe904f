// Message content for DATA: CRLF line endings and dot-stuffing (RFC 5321 §4.5.2, §2.3.8), carried
// across piece boundaries, and the final "." line. Regexes limited to what Espruino runs.

/** Returns stuff(piece): the wire bytes for piece; stuff(null) ends the message with CRLF "." CRLF. */
export function createDataStuffer(): (piece: string | null) => string {
  let heldCr = false; // the previous piece ended in "\r": its line break may continue in this one
  let lineStart = true;
  return function (piece) {
    let s = (heldCr ? "\r" : "") + (piece === null ? "" : piece);
    heldCr = piece !== null && s.charCodeAt(s.length - 1) === 13;
    if (heldCr) s = s.slice(0, -1);
    // A sentinel line break in front makes a leading "." get stuffed like any other.
    s = ((lineStart ? "\n" : "") + s)
      .replace(/\r\n/g, "\n")
      .replace(/\r/g, "\n")
      .replace(/\n\./g, "\n..")
      .replace(/\n/g, "\r\n");
    if (lineStart) s = s.slice(2);
    if (s.length) lineStart = s.charCodeAt(s.length - 1) === 10;
    if (piece === null) s += (lineStart ? "" : "\r\n") + ".\r\n";
    return s;
  };
}
