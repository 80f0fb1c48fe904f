// Hostile values (CR, LF, "\r\nBcc: x@y", NUL, very long) in subject, names, message id and template
// values: never an extra header, never an extra recipient; bad addresses are refused with their field.
import { describe, expect, test } from "vitest";
import { composeMessage } from "../../src/mime/compose.ts";
import { escapeHtml } from "../../src/mime/html-escape.ts";
import { bytes, cleaned, compose, content, headerLines, mailboxes, parse, type Plain } from "./helpers.ts";

const HOSTILE = [
  "\r\nBcc: x@y",
  "a\rBcc: x@y",
  "a\nBcc: x@y",
  "a\r\n\r\nbody starts here",
  "nul\0Bcc: x@y",
  "\r\n Bcc: x@y",
  "=?UTF-8?B?DQpCY2M6IHhAeQ==?=", // an encoded CRLF + "Bcc: x@y" handed in as text
  "x@evil.com, y@evil.com",
  "<x@evil.com>",
  '"Eve" <eve@evil.com>, ',
  "é\r\nBcc: x@y".repeat(3000),
  "A".repeat(20000),
];

/** The names of the header fields, in order (continuation lines folded back). */
function fieldNames(raw: string): string[] {
  return headerLines(raw)
    .filter((l) => !/^[ \t]/.test(l))
    .map((l) => l.slice(0, l.indexOf(":")).toLowerCase());
}
const FIELDS = ["from", "to", "subject", "message-id", "mime-version", "auto-submitted", "content-type", "content-transfer-encoding"];

describe("hostile header values", () => {
  for (const v of HOSTILE) {
    const label = JSON.stringify(v.slice(0, 30)) + (v.length > 30 ? `… (${v.length} chars)` : "");
    test(`${label} in the subject, names and message id adds no header and no recipient`, async () => {
      const m = {
        subject: v,
        from: { name: v, address: "sensor@example.com" },
        to: [{ name: v, address: "ann@example.com" }],
        messageId: "id" + v + "@example.com",
        text: "body",
      };
      const { raw } = compose(m);
      expect(fieldNames(raw)).toEqual(FIELDS);
      const p = await parse(raw);
      expect(p.headers.has("bcc")).toBe(false);
      expect(p.bcc).toBeUndefined();
      expect(p.cc).toBeUndefined();
      expect(mailboxes(p.from)).toEqual([{ name: cleaned(v), address: "sensor@example.com" }]);
      expect(mailboxes(p.to)).toEqual([{ name: cleaned(v), address: "ann@example.com" }]);
      expect(p.subject).toBe(cleaned(v));
      expect(p.messageId).toMatch(/^<id[\x21-\x3b\x40-\x7e]*(@example\.com)*>$/);
      expect(p.messageId!.length).toBeLessThanOrEqual(252);
      expect(p.text).toBe("body\n");
      for (const line of raw.split("\r\n")) expect(line.length).toBeLessThanOrEqual(998);
    });
  }
});

describe("hostile template values in bodies", () => {
  test("escaped into HTML and written raw into text, they stay body text", async () => {
    for (const v of HOSTILE.slice(0, 10).concat("</p><script>alert('x')</script><p a=\"b\">&amp;")) {
      const html = "<p>Value: " + escapeHtml(bytes(v)) + "</p>";
      const src = composeMessage({ ...content({ text: "Value: " + v }), html });
      let raw = "";
      for (let p = src(); p !== null; p = src()) raw += p;
      expect(fieldNames(raw)).toEqual(FIELDS.slice(0, -1));
      const p = await parse(raw);
      expect(p.headers.has("bcc")).toBe(false);
      expect(mailboxes(p.to)).toEqual([{ name: "Ann", address: "ann@example.com" }]);
      expect(p.html).not.toMatch(/<script|<\/p><|[<>"']x/);
      expect(p.text).toBe(("Value: " + v).replace(/\r\n/g, "\n").replace(/\r/g, ""));
      expect(p.attachments).toEqual([]);
    }
  });

  test("escapeHtml writes & < > \" ' as character references and leaves other bytes alone", () => {
    expect(escapeHtml(`<a href="x">Tom & Jerry's</a>`)).toBe("&#60;a href=&#34;x&#34;&#62;Tom &#38; Jerry&#39;s&#60;/a&#62;");
    expect(escapeHtml(bytes("Zoë 🔥"))).toBe(bytes("Zoë 🔥"));
    expect(escapeHtml(21.5)).toBe("21.5");
  });
});

describe("addresses", () => {
  const BAD = ["a@b\r\nBcc: x@y", "a b@example.com", "<a@example.com>", "a@example.com, b@example.com", "", "noat", "a@b@c", "é@example.com", "a@exa mple.com", "a@b\0c", "a@" + "b".repeat(260)];
  for (const address of BAD) {
    test(`${JSON.stringify(address.slice(0, 30))} is refused, naming its field`, () => {
      const cases: [string, Plain][] = [
        ["from", { from: { name: "x", address } }],
        ["to[1]", { to: [{ name: "ok", address: "ok@example.com" }, { name: "x", address }] }],
        ["cc[0]", { cc: [{ name: "x", address }] }],
      ];
      for (const [field, p] of cases) {
        let err: any;
        try {
          composeMessage(content(p));
        } catch (e) {
          err = e;
        }
        expect(err?.message).toBe("bad address in " + field);
        expect(err).toMatchObject({ code: "EMESSAGE", field });
      }
    });
  }

  test("the addresses users do write are accepted", async () => {
    const to = ["first.last+tag@sub.example.org", "o'neil@b.co", "x_y-z@localhost", "UPPER@EXAMPLE.COM", "a!#$%&*/=?^`{|}~@x.io"];
    const p = await parse(compose({ to: to.map((address) => ({ name: "", address })) }).raw);
    expect(mailboxes(p.to).map((m) => m.address)).toEqual(to);
  });
});
