// device.timezone → POSIX TZ for Wifi.setSNTP: IANA names are converted on the PC with Node's Intl
// (the year's offset transitions become Mm.w.d/time rules, POSIX.1-2017 §8.3); POSIX strings pass as is.

export type TimezoneResult = { ok: true; posix: string } | { ok: false; problem: string };

const MINUTE = 60_000;
const DAY = 86_400_000;

// POSIX TZ: std offset [dst [offset] [,start[/time],end[/time]]] (names alphabetic 3+ or <quoted>).
const NAME = "(?:[A-Za-z]{3,}|<[A-Za-z0-9+-]{3,}>)";
const OFFSET = "[+-]?\\d{1,2}(?::\\d{1,2}(?::\\d{1,2})?)?";
const RULE_DATE = "(?:M\\d{1,2}\\.[1-5]\\.[0-6]|J\\d{1,3}|\\d{1,3})";
const RULE_TIME = "(?:/[+-]?\\d{1,3}(?::\\d{1,2}(?::\\d{1,2})?)?)?";
const POSIX_TZ = new RegExp(
  `^${NAME}${OFFSET}(?:${NAME}(?:${OFFSET})?(?:,${RULE_DATE}${RULE_TIME},${RULE_DATE}${RULE_TIME})?)?$`,
);

export function isPosixTz(s: string): boolean {
  if (!POSIX_TZ.test(s)) return false;
  // Month rules must name a real month.
  return [...s.matchAll(/M(\d{1,2})\./g)].every((m) => Number(m[1]) >= 1 && Number(m[1]) <= 12);
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, f);
  }
  return f;
}

/** Minutes east of UTC in `zone` at instant `t`. */
export function offsetMinutes(zone: string, t: number): number {
  const p: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(t)) {
    if (part.type !== "literal") p[part.type] = Number(part.value);
  }
  const local = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((local - Math.floor(t / 1000) * 1000) / MINUTE);
}

/** Whether Intl knows this IANA zone name. */
export function isIanaZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

interface Transition {
  /** First instant with the new offset. */
  at: number;
  before: number;
  after: number;
}

function transitionsIn(zone: string, year: number): Transition[] {
  const found: Transition[] = [];
  const end = Date.UTC(year + 1, 0, 1);
  let t = Date.UTC(year, 0, 1);
  let off = offsetMinutes(zone, t);
  while (t < end) {
    const next = t + DAY;
    const nextOff = offsetMinutes(zone, next);
    if (nextOff !== off) {
      let lo = t; // offset == off
      let hi = next; // offset == nextOff
      while (hi - lo > MINUTE) {
        const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE;
        if (offsetMinutes(zone, mid) === off) lo = mid;
        else hi = mid;
      }
      found.push({ at: hi, before: off, after: nextOff });
    }
    t = next;
    off = nextOff;
  }
  return found;
}

/** Offset in POSIX sign convention (hours WEST of UTC): +1 east → "-1", -5:30 → "5:30". */
function posixOffset(minutesEast: number): string {
  const west = -minutesEast;
  const abs = Math.abs(west);
  const hm = abs % 60 ? `${Math.floor(abs / 60)}:${String(abs % 60).padStart(2, "0")}` : `${abs / 60}`;
  return (west < 0 ? "-" : "") + hm;
}

/** "<+0530>"-style name from an offset, as tzdata writes zones without an abbreviation. */
function numericName(minutesEast: number): string {
  const abs = Math.abs(minutesEast);
  const hh = String(Math.floor(abs / 60)).padStart(2, "0");
  const mm = abs % 60 ? String(abs % 60).padStart(2, "0") : "";
  return `<${minutesEast < 0 ? "-" : "+"}${hh}${mm}>`;
}

const NAME_LOCALES = ["en-US", "en-GB", "en-AU", "en-NZ", "en-CA", "en-IN", "ja-JP"];

function shortName(zone: string, locale: string, t: number): string {
  const f = new Intl.DateTimeFormat(locale, { timeZone: zone, timeZoneName: "short" });
  return f.formatToParts(t).find((p) => p.type === "timeZoneName")?.value ?? "";
}

/** Alphabetic abbreviations for the given instants from one locale, else numeric names for all. */
function abbreviations(zone: string, instants: { t: number; offset: number }[]): string[] {
  for (const locale of NAME_LOCALES) {
    const names = instants.map((i) => shortName(zone, locale, i.t));
    const good = names.every(
      (n, k) => /^[A-Za-z]{3,6}$/.test(n) && !((n === "GMT" || n === "UTC") && instants[k].offset !== 0),
    );
    if (good && new Set(names).size === names.length) return names;
  }
  return instants.map((i) => numericName(i.offset));
}

/** Mm.w.d[/time] for the wall-clock moment just before the transition (POSIX counts in the old offset). */
function rule(tr: Transition): string {
  const local = new Date(tr.at + tr.before * MINUTE);
  const year = local.getUTCFullYear();
  const month = local.getUTCMonth();
  const day = local.getUTCDate();
  const daysInMonth = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const week = day + 7 > daysInMonth ? 5 : Math.ceil(day / 7);
  const seconds = local.getUTCHours() * 3600 + local.getUTCMinutes() * 60 + local.getUTCSeconds();
  let time = "";
  if (seconds !== 7200) {
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    time = "/" + h + (m ? ":" + String(m).padStart(2, "0") : "");
  }
  return `M${month + 1}.${week}.${local.getUTCDay()}${time}`;
}

/** POSIX TZ for an IANA zone, following the given year's rules. */
export function ianaToPosix(zone: string, year = new Date().getUTCFullYear()): TimezoneResult {
  if (!isIanaZone(zone)) return { ok: false, problem: "not a known IANA time zone" };
  const trs = transitionsIn(zone, year);
  if (trs.length === 0) {
    const offset = offsetMinutes(zone, Date.UTC(year, 0, 1));
    const [name] = abbreviations(zone, [{ t: Date.UTC(year, 0, 1), offset }]);
    return { ok: true, posix: name + posixOffset(offset) };
  }
  if (trs.length !== 2 || trs[0].after !== trs[1].before || trs[1].after !== trs[0].before) {
    return {
      ok: false,
      problem: `its offset changes ${trs.length} times in ${year}, which a POSIX TZ rule cannot express; write a POSIX TZ string instead`,
    };
  }
  // Standard time is the smaller offset; the transition into the larger one starts daylight time.
  const start = trs[0].after > trs[0].before ? trs[0] : trs[1];
  const end = start === trs[0] ? trs[1] : trs[0];
  const std = start.before;
  const dst = start.after;
  const [stdName, dstName] = abbreviations(zone, [
    { t: end.at + MINUTE, offset: std },
    { t: start.at + MINUTE, offset: dst },
  ]);
  const dstOffset = dst - std === 60 ? "" : posixOffset(dst);
  return { ok: true, posix: `${stdName}${posixOffset(std)}${dstName}${dstOffset},${rule(start)},${rule(end)}` };
}

/** device.timezone as written by the user → the POSIX TZ the board uses. */
export function toPosixTz(tz: string, year?: number): TimezoneResult {
  if (isPosixTz(tz)) return { ok: true, posix: tz };
  if (isIanaZone(tz)) {
    const y = year ?? new Date().getUTCFullYear();
    const now = ianaToPosix(tz, y);
    const next = ianaToPosix(tz, y + 1);
    if (now.ok && next.ok && now.posix !== next.posix) {
      return {
        ok: false,
        problem: `its rules differ from year to year (${y}: "${now.posix}", ${y + 1}: "${next.posix}"), which one POSIX TZ cannot express; write the POSIX TZ you want instead`,
      };
    }
    return now;
  }
  return {
    ok: false,
    problem:
      'not an IANA time zone name (like "Europe/Paris" or "UTC") nor a POSIX TZ string (like "CET-1CEST,M3.5.0,M10.5.0/3")',
  };
}
