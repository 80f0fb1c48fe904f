// fast-check: random Unicode subjects, names and bodies read back as given, and every line of every message
// keeps the limits (998 bytes per line, RFC 5322; 76 per header line and 75 per encoded word, RFC 2047).
import fc from "fast-check";
import { expect, test } from "vitest";
import { cleaned, compose, expectedText, headerLines, mailboxes, parse } from "./helpers.ts";

/** Strings from every corner: any code point, graphemes, control characters, ASCII words and spaces. */
const anyText = (maxLength: number) =>
  fc.oneof(
    fc.string({ unit: "binary", maxLength }),
    fc.string({ unit: "grapheme", maxLength }),
    fc.string({ unit: "binary-ascii", maxLength }),
    fc.string({ unit: fc.constantFrom("a", "Z", " ", "  ", "=?", "?=", '"', "\\", ",", "é", "\t", "\r\n"), maxLength }),
    fc.string({ maxLength }),
  );
/** Bodies: lines of any text, sometimes very long, joined by LF or CRLF. */
const body = fc
  .tuple(fc.array(fc.oneof(anyText(120), anyText(1500)), { maxLength: 12 }), fc.constantFrom("\n", "\r\n"))
  .map(([lines, nl]) => lines.join(nl));
/** HTML with no markup at all (no < > &): its text alternative is the same text, whitespace runs made one space. */
const markupFree = body.map((b) => b.replace(/[<>&]/g, ""));
/** What a markup-free HTML body reads as in text: runs of space, tab, CR and LF are one space, none at either end. */
const collapsed = (h: string) => h.replace(/[ \t\r\n]+/g, " ").replace(/^ +| +$/g, "");
const address = fc.constantFrom("a@example.com", "first.last+tag@sub.example.org", "x_y-z@localhost", "o'neil@b.co");
const mailbox = fc.record({ name: anyText(60), address });

test("random subjects, names and bodies read back as given, lines within RFC 5322 and RFC 2047 limits", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        subject: anyText(200),
        from: mailbox,
        to: fc.array(mailbox, { minLength: 1, maxLength: 4 }),
        cc: fc.array(mailbox, { maxLength: 3 }),
        text: fc.option(fc.oneof(body, fc.constant("")), { nil: undefined }),
        html: fc.option(fc.oneof(body, markupFree), { nil: undefined }),
      }),
      async (m) => {
        const { raw } = compose(m);
        const p = await parse(raw);
        expect(p.subject ?? "").toBe(cleaned(m.subject));
        const names = (l: { name: string; address: string }[]) => l.map((b) => ({ name: cleaned(b.name), address: b.address }));
        expect(names(mailboxes(p.from))).toEqual(names([m.from]));
        expect(names(mailboxes(p.to))).toEqual(names(m.to));
        expect(names(mailboxes(p.cc))).toEqual(names(m.cc));
        if (m.html !== undefined) {
          expect(p.html || "").toBe(expectedText(m.html, false));
          // The text alternative is always there: the given text, or (none or "" given) one made from the HTML.
          expect(raw).toContain("Content-Type: text/plain; charset=utf-8");
          if (m.text) expect(p.text ?? "").toBe(expectedText(m.text, false));
          // (mailparser reads an empty part of a multipart as one line break.)
          else if (!/[<>&]/.test(m.html)) expect((p.text ?? "").replace(/^\n$/, "")).toBe(expectedText(collapsed(m.html), false));
        } else expect(p.text ?? "").toBe(expectedText(m.text ?? "", true));
        for (const line of raw.split("\r\n")) expect(line.length).toBeLessThanOrEqual(998);
        // RFC 2047 §2: lines holding encoded words ≤ 76 (we fold every header there; RFC 5322 asks ≤ 78).
        for (const line of headerLines(raw)) expect(line.length, line).toBeLessThanOrEqual(76);
        // Each encoded word ≤ 75 characters and whole UTF-8 on its own: no sequence split across words.
        for (const w of raw.match(/=\?UTF-8\?B\?[^?]*\?=/g) ?? []) {
          expect(w.length).toBeLessThanOrEqual(75);
          const b = Buffer.from(w.slice(10, -2), "base64");
          expect(Buffer.from(b.toString("utf8"), "utf8").equals(b), w).toBe(true);
        }
        expect(raw.replace(/\r\n/g, "")).not.toMatch(/[\r\n]/);
      },
    ),
    { numRuns: 200 },
  );
});
