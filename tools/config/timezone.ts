// device.timezone → POSIX TZ for Wifi.setSNTP: IANA names are converted on the PC with Node's Intl
// (the year's offset transitions become Mm.w.d/time rules, POSIX.1-2017 §8.3); POSIX strings pass as is.

export type TimezoneResult = { ok: true; posix: string } | { ok: false; problem: string };

const MINUTE = 60_000;
const DAY = 86_400_000;
/** Scan step: offsets are sampled weekly (no zone changes and changes back within a week). */
const STEP = 7 * DAY;

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
    const next = Math.min(t + STEP, end);
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
  const key = `${zone} ${locale}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, { timeZone: zone, timeZoneName: "short" });
    formatters.set(key, f);
  }
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

interface Rule {
  month: number; // 1..12
  week: number; // 1..5, 5 = last
  weekday: number; // 0 = Sunday
  seconds: number; // local time (old offset) after midnight; may exceed 24 h
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The instant a rule fires in `year`, counted in the offset in force before it. */
function ruleInstant(r: Rule, year: number, before: number): number {
  const firstWeekday = new Date(Date.UTC(year, r.month - 1, 1)).getUTCDay();
  let day = 1 + ((r.weekday - firstWeekday + 7) % 7) + (r.week - 1) * 7;
  while (day > daysIn(year, r.month)) day -= 7;
  return Date.UTC(year, r.month - 1, day) + r.seconds * 1000 - before * MINUTE;
}

/**
 * Ways to write one observed transition as a rule: the day itself, the next day with a negative time
 * ("lastSun -1:00"), or 1-2 days earlier with the time past 24 h ("Sat>=1 24:00", "Fri before last Sun"),
 * each as the n-th or the last weekday of the month (POSIX.1-2017 §8.3 with the RFC 8536 §3.3.1 extension).
 */
function candidates(tr: Transition): Rule[] {
  const local = new Date(tr.at + tr.before * MINUTE);
  const out: Rule[] = [];
  const seconds0 = local.getUTCHours() * 3600 + local.getUTCMinutes() * 60 + local.getUTCSeconds();
  for (const back of [0, -1, 1, 2]) {
    const d = new Date(local.getTime() - back * DAY);
    if (d.getUTCMonth() !== local.getUTCMonth()) break;
    const day = d.getUTCDate();
    const month = d.getUTCMonth() + 1;
    const base = { month, weekday: d.getUTCDay(), seconds: seconds0 + back * 86400 };
    if (day + 7 > daysIn(d.getUTCFullYear(), month)) out.push({ ...base, week: 5 });
    if (day <= 28) out.push({ ...base, week: Math.ceil(day / 7) });
  }
  return out;
}

/** The candidate that also predicts the next years' transitions (how many years it got right). */
function bestRule(zone: string, tr: Transition, year: number): { rule: Rule; years: number } {
  let best = { rule: candidates(tr)[0], years: -1 };
  for (const rule of candidates(tr)) {
    let years = 0;
    for (let y = year + 1; y <= year + 7; y++) {
      const at = ruleInstant(rule, y, tr.before);
      if (offsetMinutes(zone, at - MINUTE) === tr.before && offsetMinutes(zone, at) === tr.after) years++;
    }
    if (years > best.years) best = { rule, years };
  }
  return best;
}

function ruleText(r: Rule): string {
  let time = "";
  if (r.seconds !== 7200) {
    const sign = r.seconds < 0 ? "-" : "";
    const abs = Math.abs(r.seconds);
    const h = Math.floor(abs / 3600);
    const m = Math.floor((abs % 3600) / 60);
    time = `/${sign}${h}${m ? ":" + String(m).padStart(2, "0") : ""}`;
  }
  return `M${r.month}.${r.week}.${r.weekday}${time}`;
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
  const startRule = bestRule(zone, start, year);
  const endRule = bestRule(zone, end, year);
  if (startRule.years === 0 || endRule.years === 0) {
    return {
      ok: false,
      problem: `its daylight-saving dates in ${year} follow no rule that also holds in ${year + 1}, which a POSIX TZ cannot express; write the POSIX TZ you want instead`,
    };
  }
  return {
    ok: true,
    posix: `${stdName}${posixOffset(std)}${dstName}${dstOffset},${ruleText(startRule.rule)},${ruleText(endRule.rule)}`,
  };
}

/** device.timezone as written by the user → the POSIX TZ the board uses. */
export function toPosixTz(tz: string, year?: number): TimezoneResult {
  if (isPosixTz(tz)) {
    // "EST5EDT" names daylight time without saying when: only an IANA zone of that name knows.
    const dstWithoutRules = !tz.includes(",") && /^(<[^>]*>|[A-Za-z]+)[-+\d:]+(<[^>]*>|[A-Za-z]+)/.test(tz);
    if (!dstWithoutRules) return { ok: true, posix: tz };
    if (isIanaZone(tz)) return ianaToPosix(tz, year);
    return {
      ok: false,
      problem: 'a POSIX TZ with daylight time needs its rules, e.g. "CET-1CEST,M3.5.0,M10.5.0/3"',
    };
  }
  if (isIanaZone(tz)) return ianaToPosix(tz, year);
  return {
    ok: false,
    problem:
      'not an IANA time zone name (like "Europe/Paris" or "UTC") nor a POSIX TZ string (like "CET-1CEST,M3.5.0,M10.5.0/3")',
  };
}
