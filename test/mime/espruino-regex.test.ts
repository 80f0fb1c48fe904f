// The regex model reproduces what the probes measured on the real interpreter (docs/espruino.md §7), and
// the traps the composer's regexes were written around.
import { describe, expect, test } from "vitest";
import { espruinoExec, espruinoReplace } from "./espruino-regex.ts";

const opts = [{ signedChars: true }, { signedChars: false }];
const re = (r: RegExp) => ({ source: r.source, flags: r.flags, lastIndex: 0 });
const replace = (s: string, r: RegExp, w: any, o = opts[0]) => espruinoReplace(s, re(r), w, o);
const exec = (s: string, r: RegExp, o = opts[0]) => espruinoExec(re(r), s, o);

describe("probe rows", () => {
  test("row 275: replace(/\\r?\\n/g, CRLF) leaves the text alone", () => {
    expect(replace("a\nb\r\nc", /\r?\n/g, "\r\n")).toBe("a\nb\r\nc");
  });
  test("row 276: replace(/\\n/g, CRLF) works", () => {
    expect(replace("a\nb", /\n/g, "\r\n")).toBe("a\r\nb");
  });
  test("row 277: /^\\./gm stuffs nothing", () => {
    expect(replace("a\n.b\n..c", /^\./gm, "..")).toBe("a\n.b\n..c");
  });
  test("row 278: /\\n\\./g stuffs", () => {
    expect(replace("a\n.b\n..c", /\n\./g, "\n..")).toBe("a\n..b\n...c");
  });
  test("row 319: /^(\\d\\d\\d)([ -])(.*)$/ parses an SMTP reply", () => {
    expect(exec("250-ok go", /^(\d\d\d)([ -])(.*)$/)).toEqual({ index: 0, match: "250-ok go", groups: ["250", "-", "ok go"] });
  });
  test("rows 313, 316, 320, 321, 329: {n}, (?:), lazy *? never match", () => {
    expect(exec("aa", /a{2}/)).toBeNull();
    expect(exec("250 ok", /^\d{3}/)).toBeNull();
    expect(exec("ab", /(?:ab)/)).toBeNull();
    expect(exec("aab", /a*?b/)).toBeNull();
  });
  test("row 326: '.' matches a line break", () => {
    expect(exec("\n", /./)?.match).toBe("\n");
  });
  test("rows 318, 331, 338: alternation, negated class, /[^\\x20-\\x7e]/", () => {
    expect(replace("xaxbx", /a|b/g, "_")).toBe("x_x_x");
    expect(replace("a1b2", /[^0-9]/g, "")).toBe("12");
    expect(exec("ok\x01", /[^\x20-\x7e]/)?.index).toBe(2);
  });
  test("row 273: $& is not supported, $1 is", () => {
    expect(replace("abc", /b/, "[$&]")).toBe("a[$&]c");
    expect(replace("abc", /(b)/, "[$1]")).toBe("a[b]c");
  });
});

describe("traps the composer is written around", () => {
  test("alternation inside a group does not work: the alternative restarts as a whole pattern", () => {
    expect(replace("</div>", /<\/(p|div)>/g, "")).toBe("</");
    expect(replace("</div>", /<\/p>|<\/div>/g, "")).toBe("");
  });
  test("'.' and '\\.' inside a class match only '.', '-' before ']' is literal, \\1 throws (row 322)", () => {
    expect(exec("x", /[.]/)).toBeNull();
    expect(exec("x", /[\.]/)).toBeNull();
    expect(exec("a-", /[ -]/)?.index).toBe(1);
    expect(() => exec("aa", /(a)\1/)).toThrow("Backreferences not supported");
  });
  test("'^' in an alternative stops the later ones past index 0", () => {
    expect(replace(" a ", /^ | $/g, "")).toBe("a ");
  });
  test("a range across \\x7f/\\x80 never matches with signed chars", () => {
    expect(exec("\xe9", /[\x7f-\xff]/, { signedChars: true })).toBeNull();
    expect(exec("\xe9", /[\x7f-\xff]/, { signedChars: false })?.index).toBe(0);
    for (const o of opts) expect(exec("\xe9", /[\x7f\x80-\xff]/, o)?.index).toBe(0);
  });
  test("a '|' inside a class is read as alternation", () => {
    expect(exec("]", /x[|]/)?.match).toBe("]");
    expect(exec("]", /x[\|]/)).toBeNull();
  });
  test("greedy star keeps the longest rest that matches", () => {
    expect(exec('<a x="1" href="u">t</a>', /<a [^>]*href="([^"]*)"[^>]*>([^<]*)<\/a>/)?.groups).toEqual(["u", "t"]);
  });
});
