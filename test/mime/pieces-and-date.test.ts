// Streaming (pieces of at most ~2 KB, each ending at a line end, the same bytes on every fresh source) and
// the Date header (RFC 5322 §3.3, numeric zone; absent while the clock is unsynced).
import { describe, expect, test } from "vitest";
import { composeMessage } from "../../src/mime/compose.ts";
import { formatDate } from "../../src/mime/date.ts";
import { compose, content, drain, expectedText, headerLines, parse } from "./helpers.ts";

const BIG: Record<string, { text?: string; html?: string; subject?: string }> = {
  "50 KB of ASCII": { text: "Door 3 opened at 14:02, all fine.\n".repeat(1500) },
  "50 KB of accented text (base64)": { text: "Température élevée à la cuisine, ça dépasse.\n".repeat(1100) },
  "50 KB of English with a few accents (quoted-printable)": { text: "Garage door opened, all fine, nothing to see here.\n".repeat(1000) + "Café\n" },
  "50 KB of CJK (base64)": { text: "温度センサーが警報を出しました。\n".repeat(1000) },
  "30 KB of emoji in one line": { text: "🔥🚨".repeat(4000) },
  "20 KB of line breaks": { text: "\n".repeat(20000) },
  "20 KB of '=' in one line (quoted-printable, every byte escaped)": { text: "=".repeat(20000) },
  "20 KB of NUL and '=' (base64)": { text: "\0=".repeat(10000) },
  "text and HTML, 40 KB each": { text: "Zoë à la maison.\n".repeat(2400), html: "<p>Zoë à la maison.</p>\n".repeat(1700) },
  "a 10,000-character CJK subject": { subject: "警".repeat(10000), text: "x" },
};

describe("pieces", () => {
  for (const [name, m] of Object.entries(BIG)) {
    test(`${name}: pieces of 1–2 KB ending in CRLF, reading back whole`, async () => {
      const { raw, pieces } = compose(m);
      const enc = /\((quoted-printable|base64)/.exec(name);
      if (enc) expect(raw).toContain("Content-Transfer-Encoding: " + enc[1]);
      expect(pieces.length).toBeGreaterThan(8);
      for (const p of pieces) {
        expect(p.length).toBeLessThanOrEqual(2048);
        expect(p.endsWith("\r\n")).toBe(true);
      }
      // All but the last are at least 1 KB: no flood of tiny writes.
      for (const p of pieces.slice(0, -1)) expect(p.length).toBeGreaterThanOrEqual(1024);
      const parsed = await parse(raw);
      if (m.html) expect(parsed.html).toBe(expectedText(m.html, false));
      expect(parsed.text).toBe(expectedText(m.text!, !m.html));
      if (m.subject) expect(parsed.subject).toBe(m.subject);
    });
  }

  test("every call of composeMessage is a fresh source with the same bytes; null stays null at the end", () => {
    const c = content({ text: "Zoë ".repeat(3000), html: "<p>hi</p>", date: 1.7e12 });
    const src = composeMessage(c);
    const first = drain(src).raw;
    expect(src()).toBeNull();
    expect(drain(composeMessage(c)).raw).toBe(first);
  });
});

describe("Date", () => {
  const MS = 1700000000000; // 2023-11-14T22:13:20Z, a Tuesday
  test.each([
    [0, "Tue, 14 Nov 2023 22:13:20 +0000"],
    [60, "Tue, 14 Nov 2023 23:13:20 +0100"],
    [120, "Wed, 15 Nov 2023 00:13:20 +0200"],
    [-300, "Tue, 14 Nov 2023 17:13:20 -0500"],
    [330, "Wed, 15 Nov 2023 03:43:20 +0530"],
    [-570, "Tue, 14 Nov 2023 12:43:20 -0930"],
    [840, "Wed, 15 Nov 2023 12:13:20 +1400"],
  ])("with %i minutes east of UTC it is %s", async (tz, want) => {
    expect(formatDate(MS, tz)).toBe(want);
    const { raw } = compose({ date: MS, tzOffsetMinutes: tz });
    expect(headerLines(raw)).toContain("Date: " + want);
    expect((await parse(raw)).date?.getTime()).toBe(MS);
  });

  test("without tzOffsetMinutes the zone is +0000", () => {
    expect(headerLines(compose({ date: MS }).raw)).toContain("Date: Tue, 14 Nov 2023 22:13:20 +0000");
  });

  test("without a date (clock unsynced) there is no Date header, so the submission server adds one", () => {
    const lines = headerLines(compose({ text: "x" }).raw);
    expect(lines.filter((l) => /^date:/i.test(l))).toEqual([]);
    expect(lines).toContain("Message-ID: <1700000000.1@sensor.example.com>");
    expect(lines).toContain("Auto-Submitted: auto-generated");
    expect(lines).toContain("MIME-Version: 1.0");
  });
});
