// DATA bytes: CRLF line ends and dot-stuffing (RFC 5321 §4.5.2) across piece boundaries.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stuffData, type Stuffing } from "../../src/smtp/data-stuffer.ts";

function stuff(pieces: string[]): string {
  const st: Stuffing = {};
  return pieces.map((p) => stuffData(st, p)).join("") + stuffData(st, null);
}

/** What the wire must carry for a message text, computed the obvious way. */
function reference(text: string): string {
  const lines = text.replace(/\r\n|\r|\n/g, "\n").split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines.map((l) => (l.startsWith(".") ? "." + l : l) + "\r\n").join("") + ".\r\n";
}

/** What a server reads back (RFC 5321 §4.5.2 receiver side). */
function unstuff(wire: string): string {
  const lines = wire.split("\r\n");
  expect(lines.slice(-2)).toEqual([".", ""]);
  return lines
    .slice(0, -2)
    .map((l) => (l.startsWith(".") ? l.slice(1) : l) + "\r\n")
    .join("");
}

describe("data stuffer", () => {
  it.each([
    ["a plain body", ["Subject: x\r\n\r\nhello\r\n"], "Subject: x\r\n\r\nhello\r\n.\r\n"],
    ["a leading dot", [".hidden\r\n"], "..hidden\r\n.\r\n"],
    ["a lone dot line", ["a\r\n.\r\nb\r\n"], "a\r\n..\r\nb\r\n.\r\n"],
    ["a dot after a piece boundary", ["a\r\n", ".b\r\n"], "a\r\n..b\r\n.\r\n"],
    ["CR and LF split across pieces", ["a\r", "\n.b"], "a\r\n..b\r\n.\r\n"],
    ["bare LF", ["a\nb\n"], "a\r\nb\r\n.\r\n"],
    ["bare CR", ["a\rb"], "a\r\nb\r\n.\r\n"],
    ["no final line end", ["no end"], "no end\r\n.\r\n"],
    ["an empty body", [], ".\r\n"],
    ["empty pieces", ["", "x", "", ".y", ""], "x.y\r\n.\r\n"],
    ["a CR at the very end", ["a\r"], "a\r\n.\r\n"],
    ["a dot at a piece start mid-line", ["ab", ".c\r\n"], "ab.c\r\n.\r\n"],
    ["8-bit bytes", ["caf\xc3\xa9\r\n.\xc3\xa9\r\n"], "caf\xc3\xa9\r\n..\xc3\xa9\r\n.\r\n"],
  ])("handles %s", (_n, pieces, wire) => {
    expect(stuff(pieces)).toBe(wire);
  });

  it("matches the obvious line-by-line rule for any text cut anywhere", () => {
    const alphabet = fc.constantFrom("a", ".", "\r", "\n", "\r\n", ".\r\n", "\xe9");
    fc.assert(
      fc.property(fc.array(fc.array(alphabet, { maxLength: 12 }).map((a) => a.join("")), { maxLength: 8 }), (pieces) => {
        expect(stuff(pieces)).toBe(reference(pieces.join("")));
      }),
      { numRuns: 2000 },
    );
  });

  it("round-trips CRLF text through a receiver's unstuffing", () => {
    const text = "From: a\r\n\r\n.\r\n..\r\n. x\r\nend\r\n";
    for (let i = 0; i <= text.length; i++) expect(unstuff(stuff([text.slice(0, i), text.slice(i)]))).toBe(text);
  });
});
