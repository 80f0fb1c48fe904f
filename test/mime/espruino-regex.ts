// A model of Espruino 2v29's regular-expression matcher, written from its documented and probed behaviour
// (docs/espruino.md trap 2, docs/espruino.md probes 299–338) and from reading src/jswrap_regexp.c and
// jswrap_string.c, so tests can run the composer's regexes the way the board does. What it reproduces:
// - a backtracking matcher over single elements: literal, ".", "[...]", "\d \D \s \S \w \W \n \r \t \f \v
//   \b(backspace) \0 \xHH", each optionally followed by "*" or "+" (greedy: the longest successful rest
//   wins); "?", "{n}", "(?:", lookarounds, "\u" are plain literal characters; "\1".."\9" throw;
// - "(" and ")" only record positions (")" closes the last group opened); a quantifier after ")" is literal;
// - "|" is found by scanning the rest of the pattern text for the next "|" (skipping only backslash
//   escapes, even inside [...]), then the match restarts there from the same start: alternation inside a
//   group does not work, and a "|" inside a class is taken as alternation;
// - "^" fails at any index but 0 without trying later alternatives; "$" failing does try them;
// - "x-y" ranges (not before "]") compare C chars, signed on some targets, so a range across \x7f/\x80
//   never matches there; the char read past the end is NUL;
// - the search tries start positions lastIndex .. length-1 (length only for an empty input);
// - replace: "$1".."$9" only, callbacks get (match, groups…, index, input); g advances past empty matches.

export interface EspruinoRegexOptions {
  /** C `char` is signed (x86 builds) — ranges crossing 0x7f/0x80 then never match. */
  signedChars: boolean;
}

interface State {
  src: string;
  text: string;
  ignoreCase: boolean;
  start: number;
  signed: boolean;
}
interface Groups {
  n: number;
  s: number[];
  e: number[];
}
type Found = { end: number; g: Groups } | null;

const lower = (c: number) => (c >= 65 && c <= 90 ? c + 32 : c);
const isWs = (c: number) => c == 9 || c == 11 || c == 12 || c == 32 || c == 10 || c == 13;
const isDigit = (c: number) => c >= 48 && c <= 57;
const isAlpha = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c == 95;
const hex = (s: string) => parseInt(s, 16);

/** Matches one pattern element at p against char code ch; returns [matched, element length]. */
function element(st: State, p: number, ch: number, range: { first: number | null; inClass: boolean }): [boolean, number] {
  const src = st.src;
  if (src[p] == ".") return [true, 1];
  if (src[p] == "[") {
    let len = 1;
    const inverted = src[p + 1] == "^";
    if (inverted) len++;
    let any = false;
    const r = { first: null as number | null, inClass: true };
    while (p + len < src.length && src[p + len] != "]") {
      if (src[p + len] == ".") {
        any = any || ch == 46;
        len++;
        continue;
      }
      const [m, l] = element(st, p + len, ch, r);
      any = any || m;
      len += l;
    }
    if (src[p + len] != "]") throw new Error("Unfinished character set in RegEx");
    return [any != inverted, len + 1];
  }
  let len = 1;
  let code = src.charCodeAt(p);
  if (src[p] == "\\") {
    len = 2;
    const e = src[p + 1];
    if (e == "d") return [isDigit(ch), 2];
    if (e == "D") return [!isDigit(ch), 2];
    if (e == "s") return [isWs(ch), 2];
    if (e == "S") return [!isWs(ch), 2];
    if (e == "w") return [isDigit(ch) || isAlpha(ch), 2];
    if (e == "W") return [!(isDigit(ch) || isAlpha(ch)), 2];
    code = e.charCodeAt(0);
    if (e >= "1" && e <= "9") throw new Error("Backreferences not supported");
    if (e == "f") code = 12;
    else if (e == "b") code = 8;
    else if (e == "n") code = 10;
    else if (e == "r") code = 13;
    else if (e == "t") code = 9;
    else if (e == "v") code = 11;
    else if (e == "0") code = 0;
    else if (e == "x" && src[p + 2] && src[p + 3]) {
      code = hex(src.slice(p + 2, p + 4));
      len = 4;
    }
  }
  if (range.inClass && src[p + len] == "-" && src[p + len + 1] != "]") {
    range.first = code;
    const [m, l] = element(st, p + len + 1, ch, range);
    return [m, len + 1 + l];
  }
  let c = ch;
  let h = code;
  if (st.ignoreCase) {
    c = lower(c);
    h = lower(h);
  }
  if (range.first != null) {
    let lo = st.ignoreCase ? lower(range.first) : range.first;
    range.first = null;
    let x = c;
    if (st.signed) {
      const sg = (v: number) => (v > 127 ? v - 256 : v);
      lo = sg(lo);
      h = sg(h);
      x = sg(x);
    }
    return [x >= lo && x <= h && lo < h, len];
  }
  return [h == c, len];
}

/** Deepest nesting of matcher frames (matchhere/nomatchfound recurse in C, one per pattern element). */
export const regexStack = { depth: 0, max: 0 };

function orElse(st: State, p: number, g: Groups): Found {
  regexStack.depth++;
  regexStack.max = Math.max(regexStack.max, regexStack.depth);
  try {
    return orElseFrame(st, p, g);
  } finally {
    regexStack.depth--;
  }
}

function orElseFrame(st: State, p: number, g: Groups): Found {
  const src = st.src;
  while (p < src.length && src[p] != "|") {
    if (src[p] == "\\") p++;
    p++;
  }
  if (src[p] != "|") return null;
  return here(st, p + 1, st.start, g);
}

function copy(g: Groups): Groups {
  return { n: g.n, s: g.s.slice(), e: g.e.slice() };
}

function here(st: State, p: number, t: number, g: Groups): Found {
  regexStack.depth++;
  regexStack.max = Math.max(regexStack.max, regexStack.depth);
  try {
    return hereFrame(st, p, t, g);
  } finally {
    regexStack.depth--;
  }
}

function hereFrame(st: State, p: number, t: number, g: Groups): Found {
  const src = st.src;
  const text = st.text;
  const at = (i: number) => (i < text.length ? text.charCodeAt(i) : 0);
  if (p >= src.length || src[p] == "|") return { end: t, g };
  if (src[p] == "^") return t != 0 ? null : here(st, p + 1, t, g);
  if (src[p] == "$") return t >= text.length ? here(st, p + 1, t, g) : orElse(st, p + 1, g);
  if (src[p] == "(") {
    const h = copy(g);
    h.s[h.n] = h.e[h.n] = t;
    if (h.n < 9) h.n++;
    return here(st, p + 1, t, h);
  }
  if (src[p] == ")") {
    const h = copy(g);
    if (h.n > 0) h.e[h.n - 1] = t;
    return here(st, p + 1, t, h);
  }
  let [matched, len] = element(st, p, at(t), { first: null, inClass: false });
  const op = src[p + len];
  if (op == "*" || op == "+") {
    if (!matched && op == "+") return orElse(st, p + len + 1, g);
    const rest = p + len + 1;
    let last = here(st, rest, t, g);
    while (t < text.length && matched) {
      t++;
      matched = element(st, p, at(t), { first: null, inClass: false })[0];
      const r = here(st, rest, t, g);
      if (r) last = r;
    }
    return last;
  }
  if (t < text.length && matched) return here(st, p + len, t + 1, g);
  return orElse(st, p + len, g);
}

export interface EspruinoMatch {
  index: number;
  match: string;
  groups: string[];
}

/** RegExp.prototype.exec as the board runs it: from lastIndex; sets lastIndex (0 unless g). */
export function espruinoExec(re: { source: string; flags: string; lastIndex: number }, text: string, o: EspruinoRegexOptions): EspruinoMatch | null {
  if (re.lastIndex > text.length) return null;
  const st: State = { src: re.source, text, ignoreCase: re.flags.includes("i"), start: re.lastIndex, signed: o.signedChars };
  let found = here(st, 0, st.start, { n: 0, s: [], e: [] });
  while (!found && st.start + 1 < text.length) {
    st.start++;
    found = here(st, 0, st.start, { n: 0, s: [], e: [] });
  }
  if (!found) {
    re.lastIndex = 0;
    return null;
  }
  const g = found.g;
  const m: EspruinoMatch = {
    index: st.start,
    match: text.slice(st.start, found.end),
    groups: Array.from({ length: g.n }, (_, i) => text.slice(g.s[i], g.e[i])),
  };
  re.lastIndex = re.flags.includes("g") ? m.index + m.match.length : 0;
  return m;
}

/** String.prototype.replace(regex, string | function) as the board runs it. */
export function espruinoReplace(
  text: string,
  re: { source: string; flags: string; lastIndex: number },
  rep: string | ((...a: any[]) => unknown),
  o: EspruinoRegexOptions,
): string {
  re.lastIndex = 0;
  const global = re.flags.includes("g");
  let out = "";
  let last = 0;
  let m = espruinoExec(re, text, o);
  while (m) {
    out += text.slice(last, m.index);
    if (typeof rep == "function") out += String(rep(m.match, ...m.groups, m.index, text));
    else
      out += rep.replace(/\$(.)/gs, (all, c) => {
        const i = c > "0" && c <= "9" ? +c : 0;
        return i && i <= m!.groups.length ? m!.groups[i - 1] : all;
      });
    last = m.index + m.match.length;
    if (!global) break;
    re.lastIndex = last + (m.match.length ? 0 : 1);
    m = espruinoExec(re, text, o);
  }
  if (global) re.lastIndex = 0;
  return out + text.slice(last);
}
