// The text alternative of table-heavy HTML (cells apart, one pass without a callback on the board) and
// the 7bit choice's line-length check done a KB at a time (lines that cross a KB boundary included).
import { expect, test } from "vitest";
import { chooseEncoding, stringSource } from "../../src/mime/body.ts";
import { htmlTextSource, htmlToText } from "../../src/mime/html-to-text.ts";

const drain = (f: () => string | null) => {
  let o = "";
  for (let p = f(); p !== null; p = f()) o += p;
  return o;
};

test("table cells read apart in the text alternative, header cells too, rows on their own lines", () => {
  const html = '<table border="1"><thead><tr><TH>sensor</TH><th>value</th></tr></thead>\n<tr><td>kitchen</td>\n<td class="v">31.5 C</td></tr></table>';
  expect(htmlToText(html)).toBe("sensor value\n\nkitchen 31.5 C");
  // A 20 KB report read from Storage in pieces: every row keeps its cells apart and nothing is lost.
  let r = '<html><body><h1>report</h1><table border="1">\n';
  for (let i = 0; r.length < 20000; i++) r += `<tr><td>sensor ${i}</td><td>${(i * 7) % 100}.${i % 10} C</td><td>ok</td></tr>\n`;
  const text = drain(htmlTextSource(stringSource(r + "</table></body></html>\n")));
  const rows = text.split("\n").filter((l) => l.startsWith("sensor "));
  expect(rows.length).toBe(r.split("<tr>").length - 1);
  // (A row whose last cell ended a piece keeps the space its end tag became: invisible, and harmless.)
  rows.forEach((l, i) => expect(l.replace(/ $/, "")).toBe(`sensor ${i} ${(i * 7) % 100}.${i % 10} C ok`));
});

test("a link cut across two pieces of a stored body keeps its URL", () => {
  const html = "<p>" + "x".repeat(500) + ' <a href="https://example.com/d">dashboard</a> end</p>';
  expect(drain(htmlTextSource(stringSource(html)))).toBe("x".repeat(500) + " dashboard (https://example.com/d) end");
});

test("7bit only while every line is at most 998 bytes, wherever the line falls against the KB pieces", () => {
  for (const start of [0, 1, 25, 1000, 1023, 1024, 2047]) {
    const pre = "a\n".repeat(start >> 1) + (start & 1 ? "b" : "");
    for (const [len, want] of [
      [998, "7bit"],
      [999, "quoted-printable"],
    ] as const) {
      expect(chooseEncoding(pre + "\n" + "y".repeat(len) + "\nz\n"), `line of ${len} after ${start}`).toBe(want);
      expect(chooseEncoding(pre + "\n" + "y".repeat(len)), `last line of ${len} after ${start}`).toBe(want);
    }
  }
});
