// The realm's regex emulation through replace and split (which run on a host-made twin of the regex,
// to keep V8's fast paths) behaves exactly like the board's, nested uses and lastIndex included.
import { describe, expect, it } from "vitest";
import { createRealm } from "../../host-sim/realm.ts";

const realm = createRealm({ now: () => 0, defer: () => {}, call: (f, a) => void f(...a) });
const ev = (code: string) => realm.run(`(function () { ${code} })()`, "console");

describe("regexes in replace and split", () => {
  it("returns the board's own arrays from split by a regex, not the host's", () => {
    expect(ev(`var a = "a1b22c".split(/[0-9]+/); return [a instanceof Array, typeof a.on, a.join("|")].join()`)).toBe("true,function,a|b|c");
  });

  it("splits by a regex the board refuses into the whole string, and by '.' across newlines", () => {
    expect(ev(`var a = "a,b".split(/,?/); return [a.length, a[0]].join()`)).toBe("1,a,b");
    expect(ev(`return "x\\ny".split(/./).length`)).toBe(4);
  });

  it("runs a regex again inside its own replace callback and gets both answers right", () => {
    expect(
      ev(`var re = /[a-z]+/g;
        return "ab cd".replace(re, function (w) { return w + "(" + "x1y".replace(re, "-") + ")"; });`),
    ).toBe("ab(-1-) cd(-1-)");
  });

  it("leaves lastIndex as the board does: 0 after a global replace, untouched by a plain one", () => {
    expect(ev(`var g = /b/g; g.lastIndex = 3; "abcb".replace(g, "x"); return g.lastIndex`)).toBe(0);
    expect(ev(`var p = /b/; p.lastIndex = 2; var r = "abcb".replace(p, "x"); return r + " " + p.lastIndex`)).toBe("axcb 2");
    expect(ev(`var q = /a?/g; q.lastIndex = 2; var r = "aa".replace(q, "x"); return r + " " + q.lastIndex`)).toBe("aa 0");
  });

  it("keeps $& literal and still substitutes $1", () => {
    expect(ev(`return "ab".replace(/(b)/, "[$&|$1]")`)).toBe("a[$&|b]");
  });

  it("maps only ASCII letters in toUpperCase/toLowerCase, and escapes high bytes in JSON.stringify", () => {
    expect(ev(`return "\\xe9a\\xc9B".toUpperCase() + "/" + "\\xe9a\\xc9B".toLowerCase()`)).toBe("\xe9A\xc9B/\xe9a\xc9b");
    expect(ev(`return JSON.stringify("a\\xe9")`)).toBe('"a\\u00E9"');
  });

  it("still throws for a backreference, at every use", () => {
    expect(() => ev(`return "aa".replace(/(a)\\1/, "x")`)).toThrow(/Backreferences not supported/);
    expect(() => ev(`return "aa".split(/(a)\\1/)`)).toThrow(/Backreferences not supported/);
  });
});
