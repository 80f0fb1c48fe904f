// Escapes a template value for insertion into an HTML body: & < > " ' become numeric character references.

/** `a<b & "c"` → `a&#60;b &#38; &#34;c&#34;`; numbers are stringified first. */
export function escapeHtml(s: string | number): string {
  return String(s).replace(/[&<>"']/g, function (c) {
    return "&#" + c.charCodeAt(0) + ";";
  });
}
