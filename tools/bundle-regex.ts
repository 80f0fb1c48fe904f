// Finds the regular-expression syntax Espruino 2v29 silently never matches (docs/espruino.md trap 2).
// Reads the pattern text itself: escapes and character classes are honoured, so `[?]` and `\?` are fine.

export interface RegexProblem {
  /** Short rule id, e.g. "regex-optional". */
  rule: string;
  /** What was found, for the message. */
  what: string;
  /** Row(s) of docs/espruino.md §7, or "no probe". */
  rows: string;
  /** What the board does with it. */
  effect: string;
}

const NEVER = "the board silently never matches it";

const PROBLEMS = {
  optional: { rule: "regex-optional", what: "`?` quantifier", rows: "probes 317, 275 (/\\r?\\n/)", effect: NEVER },
  lazy: { rule: "regex-lazy", what: "lazy quantifier (`*?`, `+?`, `??`, `}?`)", rows: "probe 329", effect: NEVER },
  count: { rule: "regex-count", what: "counted quantifier `{n}` / `{n,}` / `{n,m}`", rows: "probes 313, 314, 315, 316", effect: NEVER },
  nonCapturing: { rule: "regex-non-capturing", what: "non-capturing group `(?:`", rows: "probe 321", effect: NEVER },
  lookahead: { rule: "regex-lookahead", what: "lookahead `(?=` / `(?!`", rows: "probes 306, 307", effect: NEVER },
  lookbehind: { rule: "regex-lookbehind", what: "lookbehind `(?<=` / `(?<!`", rows: "probe 308", effect: NEVER },
  named: { rule: "regex-named-group", what: "named group `(?<name>` / `\\k<name>`", rows: "probe 309", effect: NEVER },
  wordBoundary: { rule: "regex-word-boundary", what: "word boundary `\\b` / `\\B`", rows: "probe 330 (\\b; \\B not probed)", effect: NEVER },
  backreference: { rule: "regex-backreference", what: "backreference `\\1`..`\\9`", rows: "probe 322", effect: "the board throws \"Backreferences not supported\"" },
  unicodeEscape: { rule: "regex-unicode-escape", what: "`\\u` escape", rows: "probe 336", effect: NEVER },
  quantifiedGroup: { rule: "regex-quantified-group", what: "quantified group such as `(ab)+`", rows: "no probe (docs/espruino.md trap 2)", effect: NEVER },
  flagM: { rule: "regex-flag-m", what: "flag `m`", rows: "probes 301, 302, 303, 332", effect: NEVER },
  flagY: { rule: "regex-flag-y", what: "flag `y`", rows: "probe 327", effect: "the board does not support it" },
} satisfies Record<string, RegexProblem>;

/** The rule ids this file can report. */
export const REGEX_RULES: string[] = Object.values(PROBLEMS).map((p) => p.rule);

/** Every distinct unsupported feature used by the regex `/pattern/flags`, in order of first appearance. */
export function regexProblems(pattern: string, flags: string): RegexProblem[] {
  const found: RegexProblem[] = [];
  const add = (p: RegexProblem) => {
    if (!found.includes(p)) found.push(p);
  };
  // What the previous token was, to tell a quantifier's target: null at the start of an alternative.
  let last: "atom" | "group" | "quantifier" | "assertion" | null = null;
  let i = 0;
  const n = pattern.length;
  while (i < n) {
    const c = pattern[i];
    if (c === "\\") {
      const e = pattern[i + 1] ?? "";
      if (e === "b" || e === "B") add(PROBLEMS.wordBoundary);
      else if (e >= "1" && e <= "9") add(PROBLEMS.backreference);
      else if (e === "k" && pattern[i + 2] === "<") add(PROBLEMS.named);
      else if (e === "u") add(PROBLEMS.unicodeEscape);
      last = e === "b" || e === "B" ? "assertion" : "atom";
      i += 2;
      continue;
    }
    if (c === "[") {
      // A class: `]` right after `[` or `[^` closes it in JS (empty class); only `\u` matters inside.
      i++;
      if (pattern[i] === "^") i++;
      while (i < n && pattern[i] !== "]") {
        if (pattern[i] === "\\") {
          if (pattern[i + 1] === "u") add(PROBLEMS.unicodeEscape);
          i += 2;
        } else i++;
      }
      i++; // the closing ]
      last = "atom";
      continue;
    }
    if (c === "(") {
      if (pattern[i + 1] === "?") {
        const k = pattern[i + 2];
        if (k === ":") add(PROBLEMS.nonCapturing);
        else if (k === "=" || k === "!") add(PROBLEMS.lookahead);
        else if (k === "<" && (pattern[i + 3] === "=" || pattern[i + 3] === "!")) add(PROBLEMS.lookbehind);
        else if (k === "<") add(PROBLEMS.named);
        i += 3;
      } else i++;
      last = null;
      continue;
    }
    if (c === ")") {
      last = "group";
      i++;
      continue;
    }
    if (c === "*" || c === "+" || c === "?") {
      if (c === "?") add(last === "quantifier" ? PROBLEMS.lazy : PROBLEMS.optional);
      if (last === "group") add(PROBLEMS.quantifiedGroup);
      last = "quantifier";
      i++;
      continue;
    }
    if (c === "{") {
      const m = /^\{\d+(,\d*)?\}/.exec(pattern.slice(i));
      if (m) {
        add(PROBLEMS.count);
        if (last === "group") add(PROBLEMS.quantifiedGroup);
        last = "quantifier";
        i += m[0].length;
        continue;
      }
      last = "atom"; // a lone `{` is a literal character (Annex B)
      i++;
      continue;
    }
    if (c === "|") last = null;
    else if (c === "^" || c === "$") last = "assertion";
    else last = "atom";
    i++;
  }
  if (flags.includes("m")) add(PROBLEMS.flagM);
  if (flags.includes("y")) add(PROBLEMS.flagY);
  return found;
}
