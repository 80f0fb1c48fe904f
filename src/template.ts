// Alert templates: {{device}} {{name}} {{value}} {{unit}} {{state}} {{time}} {{count}} {{ip}} filled in, HTML-escaped for html bodies.
import { escapeHtml } from "./mime/html-escape.ts";

export type TemplateValues = { [k: string]: string };

/** Fills every {{key}} known in v; unknown keys stay as written. html: values are HTML-escaped. */
export function fillTemplate(tpl: string, v: TemplateValues, html: boolean): string {
  // No placeholder: the same string (a 20 KB body from alertmail.send, CSS braces and all, is not copied).
  if (!/[{][{]/.test(tpl)) return tpl;
  // Espruino regex subset: classes instead of escaped braces, no `?` or `{n}`.
  return tpl.replace(/[{][{]([a-z]+)[}][}]/g, function (m: string, k: string) {
    const s = v[k];
    if (typeof s != "string") return m;
    return html ? escapeHtml(s) : s;
  });
}

/**
 * A header value on one line: every control character (CR, LF, NUL, TAB…) becomes a space; spaces
 * (only) are trimmed. Not trim(): the board and Node take byte 0xA0 for whitespace, the last byte of "à".
 */
export function oneLine(s: string): string {
  return s.replace(/[\x00-\x1f\x7f]+/g, " ").replace(/^ +/, "").replace(/ +$/, "");
}
