// The wall clock as alerts see it: is it set yet (SNTP), the time zone's offset, and the one time format
// (the Date header's); an alert raised before SNTP carries TIME_MARK where its time goes, filled in when sent.
import { formatDate } from "./mime/date.ts";

/**
 * Stands for {{time}} in an alert raised before the clock was set; the sender writes the true time there.
 * 0xFF is never a byte of UTF-8 text, and no cleaning (control characters, HTML escaping) touches it.
 */
export const TIME_MARK = "\xffT\xff";

/** Is the board clock set (by SNTP)? A board that boots without it counts from 1970. */
export function clockSet(ms: number): boolean {
  return ms > 1.6e12;
}

/** Standard-time offset east of UTC in minutes from a POSIX TZ string ("CET-1CEST,…" → 60). DST is not applied. */
export function tzOffsetMinutes(tz: string): number {
  // std name (letters, or <…> quoted), then [+-]hh[:mm], positive west of Greenwich (POSIX).
  let r = tz.replace(/^<[^>]*>/, "").replace(/^[A-Za-z]*/, "");
  const c = r.charAt(0);
  if (c == "-" || c == "+") r = r.slice(1);
  const p = r.split(":");
  const h = parseInt(p[0]);
  if (isNaN(h)) return 0;
  // Minutes only after an hour of digits alone ("5:30", not "1CEST,M3.5.0/2:00").
  const min = h * 60 + (p.length > 1 && +p[0] == h ? parseInt(p[1]) : 0);
  return c == "-" ? min : -min || 0;
}

/** "Sun, 29 Nov 2026 23:45:12 +0100" (the Date header's format, one formatter for both); "clock not set" before SNTP. */
export function formatTime(ms: number, offsetMin: number): string {
  return clockSet(ms) ? formatDate(ms, offsetMin) : "clock not set";
}

/** The configured zone's offset (device.timezone). */
export function tzOf(cfg: { device: { timezone: string } }): number {
  return tzOffsetMinutes(cfg.device.timezone);
}
