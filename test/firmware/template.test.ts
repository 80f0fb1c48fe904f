// Templates: placeholders filled, hostile values escaped in HTML and kept off the header lines, times and zones.
import { expect, test } from "vitest";
import { escapeHtml } from "../../src/mime/html-escape.ts";
import { formatTime, tzOffsetMinutes } from "../../src/clock.ts";
import { fillTemplate, oneLine } from "../../src/template.ts";

const hostile = {
  device: "Garage",
  name: "door",
  value: '<script>alert("x")</script> & \'q\'',
  state: "open\r\nBcc: victim@example.com",
  unit: "",
  time: "t",
  count: "3",
  ip: "10.0.0.2",
};

test("every known placeholder is filled; unknown ones stay as written", () => {
  expect(fillTemplate("{{device}}/{{name}}/{{count}}/{{ip}}/{{nope}}/{{ constructor }}/{{constructor}}", hostile, false)).toBe(
    "Garage/door/3/10.0.0.2/{{nope}}/{{ constructor }}/{{constructor}}",
  );
});

test("values in an HTML body are escaped; the template's own markup is kept", () => {
  const out = fillTemplate("<p>{{name}}: <b>{{value}}</b></p>", hostile, true);
  expect(out).toBe("<p>door: <b>" + escapeHtml(hostile.value) + "</b></p>");
  expect(out).not.toMatch(/<script|"x"|'q'| & /);
});

test("a subject gets no CR or LF from a value, so no header can be forged", () => {
  const s = oneLine(fillTemplate("{{device}}: {{state}}\x00", hostile, false));
  expect(s).toBe("Garage: open Bcc: victim@example.com");
  expect(s).not.toMatch(/[\r\n\x00]/);
});

test("POSIX TZ strings give the standard offset east of UTC", () => {
  expect(tzOffsetMinutes("CET-1CEST,M3.5.0,M10.5.0/3")).toBe(60);
  expect(tzOffsetMinutes("EST5EDT,M3.2.0,M11.1.0")).toBe(-300);
  expect(tzOffsetMinutes("<+0530>-5:30")).toBe(330);
  expect(tzOffsetMinutes("UTC0")).toBe(0);
  expect(tzOffsetMinutes("<-03>3<-02>,M3.5.0/-2,M10.5.0/-1")).toBe(-180);
  expect(tzOffsetMinutes("NZST-12NZDT,M9.5.0,M4.1.0/3")).toBe(720);
  expect(tzOffsetMinutes("XST3XDT,M3.2.0/2:30,M11.1.0")).toBe(-180);
  expect(tzOffsetMinutes("<+0545>-5:45")).toBe(345);
  expect(tzOffsetMinutes("")).toBe(0);
});

test("times read in local standard time with their offset, or say the clock is not set", () => {
  expect(formatTime(Date.UTC(2026, 10, 29, 23, 5, 9), 60)).toBe("Mon, 30 Nov 2026 00:05:09 +0100");
  expect(formatTime(Date.UTC(2026, 0, 1, 3, 0, 0), -300)).toBe("Wed, 31 Dec 2025 22:00:00 -0500");
  expect(formatTime(12_000, 60)).toBe("clock not set");
});

test("a subject ending in a UTF-8 character whose last byte is 0xA0 keeps it; spaces and controls are trimmed", () => {
  const b = (s: string) => Buffer.from(s, "utf8").toString("latin1");
  expect(Buffer.from(oneLine(b("Température à")), "latin1").toString("utf8")).toBe("Température à");
  expect(Buffer.from(oneLine(b(" \r\n à \t")), "latin1").toString("utf8")).toBe("à");
  expect(oneLine(b("\u00a0x\u00a0"))).toBe(b("\u00a0x\u00a0"));
});

test("oneLine's own regexes give the same result under the board's regex matcher", async () => {
  const { espruinoReplace } = await import("../mime/espruino-regex.ts");
  // oneLine itself runs, with every replace(regex, …) it makes answered by the model of the board's
  // matcher: whatever regexes the code uses are the ones checked (a copy typed here could drift).
  const native = String.prototype.replace;
  const seen: string[] = [];
  const onBoard = (s: string): string => {
    let inside = false;
    String.prototype.replace = function (this: string, re: any, rep: any) {
      if (inside || !(re instanceof RegExp)) return native.call(this, re, rep);
      inside = true;
      try {
        seen.push(String(re));
        return espruinoReplace(String(this), re, rep, { signedChars: true });
      } finally {
        inside = false;
      }
    } as typeof native;
    try {
      return oneLine(s);
    } finally {
      String.prototype.replace = native;
    }
  };
  const cases: [string, string][] = [
    ["  a  b  ", "a  b"],
    ["x\r\n\ty ", "x y"],
    ["\x00lead\x7f", "lead"],
    [Buffer.from("Noël à", "utf8").toString("latin1"), Buffer.from("Noël à", "utf8").toString("latin1")],
    ["", ""],
    ["   ", ""],
  ];
  for (const [s, want] of cases) {
    expect(onBoard(s), JSON.stringify(s)).toBe(want);
    expect(oneLine(s), JSON.stringify(s)).toBe(want);
  }
  expect(seen.length).toBeGreaterThan(0); // the board's matcher really answered oneLine's replaces
});
