// What each transfer encoding costs the board, counted on Node: JS calls the interpreter makes (replace
// callbacks, and turns of the per-line loops: QP soft-wrap lines, base64 btoa lines) and encoded bytes.
// The figures are printed and copied into the comment on chooseEncoding (src/mime/body.ts); the test checks
// the choice is the cheaper one under that comment's model: cost = JS calls + bytes / 100.
import { afterEach, beforeEach, expect, test } from "vitest";
import { bodyReader, chooseEncoding } from "../../src/mime/body.ts";
import { bytes } from "./helpers.ts";

const SAMPLES: Record<string, string> = {
  "English alert with °C": "Temperature in the kitchen is 31.5 °C, above the threshold of 30 °C.\nSensor: kitchen. Previous state: normal.\n",
  "English report, few accents": "Daily report for the garage door sensor. Opened 3 times, closed 3 times, battery fine.\n".repeat(40) + "Café door: 21 °C.\n",
  "French alert": "Alerte : la température de la cuisine a dépassé le seuil (31,5 °C > 30 °C) à 14 h 02.\nCapteur : cuisine, pièce n° 3.\nÉtat précédent : normal. Prochaine vérification dans 5 minutes.\n".repeat(6),
  "German alert": "Warnung: Die Tür zur Garage ist geöffnet. Größe der Öffnung unbekannt; bitte prüfen.\n".repeat(12),
  "ASCII, one 10,000-char line": "x".repeat(10000),
  CJK: "温度センサーが警報を出しました。台所の温度は三十一度です。確認してください。\n".repeat(12),
  "emoji-heavy": "🔥🚨 Fire 🚒 alarm 👨‍👩‍👧‍👦 🇫🇷\n".repeat(30),
  "Arabic/Hebrew": "تنبيه: درجة الحرارة مرتفعة في المطبخ\nהתראה: הדלת פתוחה במוסך\n".repeat(12),
};

let callbacks = 0;
let btoaCalls = 0;
const nativeReplace = String.prototype.replace;
const nativeBtoa = globalThis.btoa;
beforeEach(() => {
  String.prototype.replace = function (this: string, re: any, with_: any) {
    if (typeof with_ != "function") return nativeReplace.call(this, re, with_);
    return nativeReplace.call(this, re, (...a: any[]) => (callbacks++, with_(...a)));
  } as any;
  globalThis.btoa = (s: string) => (btoaCalls++, nativeBtoa(s));
});
afterEach(() => {
  String.prototype.replace = nativeReplace;
  globalThis.btoa = nativeBtoa;
});

function cost(s: string, enc: string) {
  callbacks = btoaCalls = 0;
  const read = bodyReader(s, enc, true);
  let out = "";
  for (let p = read(); p !== null; p = read()) out += p;
  // Loop turns: base64 makes one per line (one btoa each), QP one per output line.
  const turns = enc == "base64" ? btoaCalls : out.split("\r\n").length - 1;
  const calls = callbacks + turns;
  return { callbacks, turns, calls, bytes: out.length, ratio: (out.length / s.length).toFixed(2), cost: calls + out.length / 100 };
}

test("the chosen transfer encoding is the cheaper one on the board, and the costs are reported", () => {
  const rows: string[] = [];
  const checks: (() => void)[] = [];
  for (const [name, t] of Object.entries(SAMPLES)) {
    const s = bytes(t);
    const escaped = s.length - s.replace(/[\x80-\xff]/g, "").length;
    const qp = cost(s, "quoted-printable");
    const b64 = cost(s, "base64");
    callbacks = 0;
    const chosen = chooseEncoding(s);
    const decisionCallbacks = callbacks;
    rows.push(
      `${name.padEnd(28)} ${String(s.length).padStart(6)} B ${((100 * escaped) / s.length).toFixed(1).padStart(5)} % | ` +
        `QP ${String(qp.callbacks).padStart(5)} cb + ${String(qp.turns).padStart(3)} turns, ${String(qp.bytes).padStart(6)} B ${qp.ratio}× | ` +
        `base64 ${String(b64.turns).padStart(3)} turns, ${String(b64.bytes).padStart(6)} B ${b64.ratio}× | ${chosen}`,
    );
    // Deciding costs no callback at all: one native replace, one indexOf per line.
    expect(decisionCallbacks).toBe(0);
    expect(b64.callbacks).toBe(0);
    expect(qp.callbacks).toBeGreaterThanOrEqual(escaped);
    // The choice is the cheaper one under the model, or at parity (within 15 %: QP is kept there).
    const [mine, other] = chosen == "quoted-printable" ? [qp, b64] : [b64, qp];
    expect(["quoted-printable", "base64"]).toContain(chosen);
    checks.push(() => expect(mine.cost, name).toBeLessThanOrEqual(other.cost * 1.15));
  }
  console.log("transfer encoding cost per sample (multipart part):\n" + rows.join("\n"));
  for (const check of checks) check();
  expect(chooseEncoding(bytes(SAMPLES["English report, few accents"]))).toBe("quoted-printable");
  expect(chooseEncoding(bytes(SAMPLES["French alert"]))).toBe("base64");
  expect(chooseEncoding(bytes(SAMPLES.CJK))).toBe("base64");
  expect(chooseEncoding(bytes(SAMPLES["emoji-heavy"]))).toBe("base64");
  expect(chooseEncoding(bytes(SAMPLES["ASCII, one 10,000-char line"]))).toBe("quoted-printable");
});
