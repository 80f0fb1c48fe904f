// Alert templates: {{device}} {{name}} {{value}} {{unit}} {{state}} {{time}} {{count}} {{ip}} filled in, HTML-escaped for html bodies.
import { formatDate } from "./mime/date.ts";
import { escapeHtml } from "./mime/html-escape.ts";

export type TemplateValues = { [k: string]: string };

/** Fills every {{key}} known in v; unknown keys stay as written. html: values are HTML-escaped. */
export function fillTemplate(tpl: string, v: TemplateValues, html: boolean): string {
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

/** Is the board clock set (by SNTP)? A board that boots without it counts from 1970. */
export function clockSet(ms: number): boolean {
  return ms > 1.6e12;
}

/** Standard-time offset east of UTC in minutes from a POSIX TZ string ("CET-1CEST,…" → 60). DST is not applied. */
export function tzOffsetMinutes(tz: string): number {
  // std name (letters, or <…> quoted), then [+-]hh[:mm], positive west of Greenwich (POSIX).
  let r = tz.slice(tz.charAt(0) == "<" ? tz.indexOf(">") + 1 : 0).replace(/^[A-Za-z]*/, "");
  const c = r.charAt(0);
  if (c == "-" || c == "+") r = r.slice(1);
  const p = r.split(":");
  const h = parseInt(p[0]);
  if (isNaN(h)) return 0;
  const min = h * 60 + (p.length > 1 && /^\d+$/.test(p[0]) ? parseInt(p[1]) : 0);
  return c == "-" ? min : -min || 0;
}

/** "Sun, 29 Nov 2026 23:45:12 +0100" (the Date header's format, one formatter for both); "clock not set" before SNTP. */
export function formatTime(ms: number, offsetMin: number): string {
  return clockSet(ms) ? formatDate(ms, offsetMin) : "clock not set";
}
