// JSON string escaping for the board's byte strings (RFC 8259 §7): only '"', '\' and control bytes are
// escaped, every byte >= 0x80 passes as it is, so UTF-8 text reaches the provider as the characters written.
// The board's JSON.stringify would write each of those bytes as \u00XX, which decodes as Latin-1.

/** s escaped for the inside of a JSON string (no quotes added); one native replace, no per-byte loop. */
export function escapeJson(s: string): string {
  return s.replace(/[\x00-\x1f"\\]/g, function (c) {
    const n = c.charCodeAt(0);
    return n == 34 || n == 92 ? "\\" + c : "\\u00" + (n < 16 ? "0" : "") + n.toString(16);
  });
}
