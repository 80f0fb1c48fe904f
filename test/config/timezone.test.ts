// device.timezone: IANA names become the POSIX TZ the board's Wifi.setSNTP needs; POSIX strings pass as is.
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { ianaToPosix, isPosixTz, offsetMinutes, toPosixTz } from "../../tools/config/timezone.ts";

const posix = (tz: string, year = 2026) => {
  const r = toPosixTz(tz, year);
  if (!r.ok) throw new Error(r.problem);
  return r.posix;
};

describe("IANA names", () => {
  test.each([
    ["Europe/Paris", "CET-1CEST,M3.5.0,M10.5.0/3"],
    ["America/New_York", "EST5EDT,M3.2.0,M11.1.0"],
    ["Europe/London", "GMT0BST,M3.5.0/1,M10.5.0"],
    // Southern hemisphere: daylight time starts in October and ends in April.
    ["Australia/Sydney", "AEST-10AEDT,M10.1.0,M4.1.0/3"],
    ["Pacific/Auckland", "NZST-12NZDT,M9.5.0,M4.1.0/3"],
    // Half-hour offsets and a 30-minute daylight shift.
    ["America/St_Johns", "NST3:30NDT,M3.2.0,M11.1.0"],
    ["Australia/Lord_Howe", "LHST-10:30LHDT-11,M10.1.0,M4.1.0"],
    // Rules that need times past 24 h: "Sat>=1 24:00", "Fri before the last Sun".
    ["America/Santiago", "<-04>4<-03>,M9.1.6/24,M4.1.6/24"],
    ["Asia/Jerusalem", "<+02>-2<+03>,M3.4.4/26,M10.5.0"],
  ])("%s → %s", (zone, expected) => {
    expect(posix(zone)).toBe(expected);
  });

  test.each([
    ["Asia/Tokyo", /^(JST-9|<\+09>-9)$/],
    ["Asia/Kolkata", /^(IST-5:30|<\+0530>-5:30)$/],
    ["Asia/Kathmandu", /^<\+0545>-5:45$/],
    ["America/Sao_Paulo", /^<-03>3$/],
    ["UTC", /^UTC0$/],
    ["Etc/UTC", /^UTC0$/],
    ["Etc/GMT+5", /^<-05>5$/],
    ["Etc/GMT-14", /^<\+14>-14$/],
  ])("fixed offset %s → %s", (zone, expected) => {
    expect(posix(zone)).toMatch(expected);
  });

  test("a legacy name that looks like POSIX but has no rules (EST5EDT) gets the rules of the zone", () => {
    expect(posix("EST5EDT")).toBe("EST5EDT,M3.2.0,M11.1.0");
  });

  test("a zone whose dates move every year (Ramadan in Morocco) is refused with a reason", () => {
    const r = toPosixTz("Africa/Casablanca", 2026);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toMatch(/no rule that also holds in 2027.*write the POSIX TZ/);
  });

  test("the produced rules reproduce Intl's offsets at every hour of the next two years", { timeout: 120_000 }, () => {
    for (const zone of ["Europe/Paris", "America/New_York", "Australia/Sydney", "America/Santiago"]) {
      const tz = parsePosix(posix(zone));
      for (let t = Date.UTC(2027, 0, 1); t < Date.UTC(2029, 0, 1); t += 3_600_000) {
        if (localOffset(tz, t) !== offsetMinutes(zone, t)) {
          throw new Error(`${zone} at ${new Date(t).toISOString()}: POSIX ${localOffset(tz, t)}, Intl ${offsetMinutes(zone, t)}`);
        }
      }
    }
  });
});

describe("POSIX TZ strings", () => {
  test.each(["CET-1CEST,M3.5.0,M10.5.0/3", "UTC0", "<+0545>-5:45", "EST5EDT,M3.2.0/2:00:00,M11.1.0/2", "JST-9"])(
    "%s is accepted as is",
    (tz) => {
      expect(isPosixTz(tz)).toBe(true);
      expect(posix(tz)).toBe(tz);
    },
  );

  test.each(["Mars/Olympus", "CET", "+01:00", "CET-1CEST,M13.5.0,M10.5.0", "", "ABC-1DEF"])("%j is refused", (tz) => {
    const r = toPosixTz(tz, 2026);
    if (tz === "CET") {
      // CET is also an IANA link: it converts through Intl.
      expect(r).toEqual({ ok: true, posix: "CET-1CEST,M3.5.0,M10.5.0/3" });
      return;
    }
    expect(r.ok).toBe(false);
  });
});

// Every zone the system's tzdata knows: the TZif footer is tzdata's own POSIX TZ for the zone.
const ZONEINFO = "/usr/share/zoneinfo";
test.skipIf(!existsSync(`${ZONEINFO}/tzdata.zi`))("agrees with tzdata's own POSIX footers (abbreviations aside)", { timeout: 120_000 }, () => {
  const zones = readFileSync(`${ZONEINFO}/tzdata.zi`, "utf8")
    .split("\n")
    .filter((l) => l.startsWith("Z "))
    .map((l) => l.split(" ")[1]);
  const names = (s: string) => s.replace(/<[^>]*>|[A-Za-z]{3,}(?=[-+\d,]|$)/g, "N");
  const differ: string[] = [];
  let compared = 0;
  for (const zone of zones) {
    let footer: string;
    try {
      footer = readFileSync(`${ZONEINFO}/${zone}`, "latin1").trim().split("\n").pop()!;
    } catch {
      continue;
    }
    compared++;
    const r = ianaToPosix(zone, 2026);
    if (!r.ok || names(r.posix) !== names(footer)) differ.push(zone);
  }
  expect(compared).toBeGreaterThan(300);
  // Known: Morocco's Ramadan rules (refused), Gaza/Hebron (an equivalent rule for these years),
  // Dublin (tzdata's negative DST), Factory (not a real zone).
  const known = ["Africa/Casablanca", "Africa/El_Aaiun", "Asia/Gaza", "Asia/Hebron", "Europe/Dublin", "Factory"];
  expect(differ.filter((z) => !known.includes(z))).toEqual([]);
});

// A tiny POSIX TZ evaluator (Mm.w.d rules only), to check the rules against Intl independently.
interface PosixTz {
  std: number;
  dst?: number;
  start?: number[];
  end?: number[];
}
function parsePosix(tz: string): PosixTz {
  const m = /^(?:<[^>]+>|[A-Za-z]+)([-+]?[\d:]+)(?:(?:<[^>]+>|[A-Za-z]+)([-+]?[\d:]+)?,(.*),(.*))?$/.exec(tz);
  if (!m) throw new Error(`cannot parse ${tz}`);
  const hm = (s: string) => {
    const neg = s.startsWith("-");
    const [h, mm = "0"] = s.replace(/^[-+]/, "").split(":");
    return (neg ? -1 : 1) * (Number(h) * 60 + Number(mm));
  };
  const std = -hm(m[1]);
  if (!m[3]) return { std };
  const rule = (r: string) => {
    const [date, time = "2"] = r.split("/");
    const [mo, w, d] = date.slice(1).split(".").map(Number);
    return [mo, w, d, hm(time)];
  };
  return { std, dst: m[2] ? -hm(m[2]) : std + 60, start: rule(m[3]), end: rule(m[4]) };
}
function ruleUtc([mo, w, d, minutes]: number[], year: number, offset: number): number {
  const first = new Date(Date.UTC(year, mo - 1, 1)).getUTCDay();
  let day = 1 + ((d - first + 7) % 7) + (w - 1) * 7;
  const dim = new Date(Date.UTC(year, mo, 0)).getUTCDate();
  while (day > dim) day -= 7;
  return Date.UTC(year, mo - 1, day) + (minutes - offset) * 60_000;
}
function localOffset(tz: PosixTz, t: number): number {
  if (tz.dst === undefined || !tz.start || !tz.end) return tz.std;
  const year = new Date(t).getUTCFullYear();
  const start = ruleUtc(tz.start, year, tz.std);
  const end = ruleUtc(tz.end, year, tz.dst);
  const inDst = start < end ? t >= start && t < end : t >= start || t < end;
  return inDst ? tz.dst : tz.std;
}
