// The composer as the board runs it: src/mime/compose.ts bundled with the firmware's esbuild options into an
// IIFE, loaded as latin1 bytes into the simulator's Espruino-only realm (no Map/Set/Buffer/TextEncoder, the
// board's indexOf and fromCharCode quirks), composing a multipart message that mailparser reads correctly;
// then with Espruino's regex matcher modelled (espruino-regex.ts) it must compose the same bytes as Node.
import { build } from "esbuild";
import { beforeAll, expect, test } from "vitest";
import { createRealm, type Realm } from "../../host-sim/realm.ts";
import { checkBundle } from "../../tools/bundle-check.ts";
import { esbuildOptions, ROOT } from "../../tools/build.ts";
import { composeMessage, type MailContent } from "../../src/mime/compose.ts";
import { espruinoExec, espruinoReplace, regexStack, type EspruinoRegexOptions } from "./espruino-regex.ts";
import { bytes, content, drain, mailboxes, parse } from "./helpers.ts";

let code = "";
let realm: Realm;

beforeAll(async () => {
  const opts = esbuildOptions("unused", "mime.js");
  delete opts.entryPoints;
  const out = await build({
    ...opts,
    sourcemap: false,
    stdin: {
      contents:
        'import { composeMessage } from "./src/mime/compose.ts";\n' +
        'import { escapeHtml } from "./src/mime/html-escape.ts";\n' +
        "declare var global: any;\nglobal.composeMessage = composeMessage;\nglobal.escapeHtml = escapeHtml;\n",
      resolveDir: ROOT,
      loader: "ts",
      sourcefile: "mime-entry.ts",
    },
  });
  // The board reads the bundle as bytes: UTF-8 in the file, one char per byte in the interpreter.
  code = Buffer.from(out.outputFiles[0].contents).toString("latin1");
  realm = boardRealm();
});

/** The simulator's Espruino-only realm with btoa and the mime bundle loaded. */
function boardRealm(): Realm {
  const r = createRealm({ now: () => 0, defer: (fn) => setTimeout(fn, 0), call: (fn, args) => fn(...args) });
  r.global.btoa = (s: string) => Buffer.from(s, "latin1").toString("base64");
  r.run(code, "mime.js");
  return r;
}

/** Makes the realm's regexes behave like Espruino's matcher: replace and test modelled, the rest refused. */
function useEspruinoRegex(r: Realm, o: EspruinoRegexOptions) {
  const g = r.global;
  const RE = g.RegExp;
  const prevReplace = g.String.prototype.replace;
  const def = (obj: object, k: string, v: unknown) => Object.defineProperty(obj, k, { value: v, writable: true, configurable: true });
  def(g.String.prototype, "replace", function (this: string, pat: any, rep: any) {
    return pat instanceof RE ? espruinoReplace(String(this), pat, rep, o) : prevReplace.call(this, pat, rep);
  });
  def(RE.prototype, "test", function (this: any, s: string) {
    return espruinoExec(this, String(s), o) !== null;
  });
  // Other regex entry points are not modelled: the composer must not call them (the simulator's own
  // prelude may, through V8's built-ins, so only calls straight from the bundle are refused).
  const fromBundle = () => (new Error().stack ?? "").split("\n")[3]?.includes("mime.js");
  const refuse = (what: string, prev: (...a: any[]) => unknown) =>
    function (this: unknown, ...a: any[]) {
      if (fromBundle() && (what == "exec" || a[0] instanceof RE)) throw new Error(what + " is not modelled: add it to espruino-regex.ts");
      return prev.apply(this, a);
    };
  def(RE.prototype, "exec", refuse("exec", RE.prototype.exec));
  for (const k of ["match", "split", "replaceAll", "search"]) def(g.String.prototype, k, refuse(k, g.String.prototype[k]));
}

test("the bundle is an IIFE the bundle check finds nothing wrong with", () => {
  expect(code).toMatch(/^("use strict";)*\(\(\)=>\{/);
  expect(checkBundle(code).map((h) => `${h.rule}: ${h.message}`)).toEqual([]);
  expect(realm.global.Map).toBeUndefined();
  expect(realm.global.Buffer).toBeUndefined();
});

test("inside the realm it composes a multipart UTF-8 message that mailparser reads correctly", async () => {
  const m = realm.toRealm({
    from: { name: bytes("Capteur Été 🔥"), address: "sensor@example.com" },
    to: [{ name: bytes("Zoë O'Brien, Jr."), address: "zoe@example.org" }, { name: "", address: "ops@example.net" }],
    cc: [{ name: bytes("李小龍"), address: "lee@example.cn" }],
    subject: bytes("Température élevée — 31,5 °C 🔥 警報"),
    html: bytes(
      '<h1>Alarme</h1><p>Cuisine : <b>31,5&nbsp;°C</b> &gt; 30.<br><a href="https://example.com/d?x=1&amp;y=2">Tableau</a></p>' +
        "<p>温度センサーが警報を出しました。</p>".repeat(40),
    ),
    date: 1700000000000,
    tzOffsetMinutes: 60,
    messageId: "1700000000.7@sensor.example.com",
  });
  const src = realm.global.composeMessage(m) as () => string | null;
  const pieces: string[] = [];
  for (let p = src(); p !== null; p = src()) pieces.push(p);
  for (const p of pieces) expect(p.length).toBeLessThanOrEqual(2048);
  const p = await parse(pieces.join(""));
  expect(p.subject).toBe("Température élevée — 31,5 °C 🔥 警報");
  expect(mailboxes(p.from)).toEqual([{ name: "Capteur Été 🔥", address: "sensor@example.com" }]);
  expect(mailboxes(p.to)).toEqual([
    { name: "Zoë O'Brien, Jr.", address: "zoe@example.org" },
    { name: "", address: "ops@example.net" },
  ]);
  expect(mailboxes(p.cc)).toEqual([{ name: "李小龍", address: "lee@example.cn" }]);
  expect(p.headers.get("content-type")).toMatchObject({ value: "multipart/alternative" });
  expect(p.html).toBe(Buffer.from(m.html, "latin1").toString("utf8"));
  expect(p.text).toBe(
    "Alarme\n\nCuisine : 31,5 °C > 30.\nTableau (https://example.com/d?x=1&y=2)\n\n" +
      Array(40).fill("温度センサーが警報を出しました。").join("\n\n"),
  );
  expect(p.date?.toISOString()).toBe("2023-11-14T22:13:20.000Z");
  expect(p.headers.get("auto-submitted")).toBe("auto-generated");
  expect(realm.global.escapeHtml(bytes('<b a="x">é & \'</b>'))).toBe(bytes("&#60;b a=&#34;x&#34;&#62;é &#38; &#39;&#60;/b&#62;"));
});

const CORPUS: Record<string, Parameters<typeof content>[0]> = {
  "ASCII text": { subject: "Door open", text: "Door 3 opened.\n.dot line\nFrom here\n" },
  "accented, QP and base64": {
    subject: "Température élevée — cuisine",
    from: { name: "Capteur « Été »", address: "sensor@example.com" },
    to: [{ name: "Zoë O'Brien, Jr.", address: "zoe@example.org" }, { name: "Ann", address: "ann@example.com" }],
    cc: [{ name: "a  b ", address: "x_y-z@localhost" }],
    text: "Garage door opened, all fine, nothing to see here.\n".repeat(30) + "Café =3D\t \n",
    html: "<p>Ça chauffe : 31,5 °C</p>",
  },
  "CJK, emoji, RTL": { subject: "警報 🔥 تنبيه", text: "温度センサーが警報を出しました。\n".repeat(50) + "🔥🚨 הדלת פתוחה\n" },
  "HTML only with links, lists, entities": {
    html:
      '<html><head><title>T</title><style>p{}</style></head><body><h2>Alarme</h2><p>A&nbsp;&amp;&lt;B&gt; &#233;&#x1F525; &quot;q&quot;<br/>' +
      '<a class="x" href="https://e.com/?a=1&amp;b=2">lien</a> <A HREF=\'https://e.com/\'>https://e.com/</A></p><ul><li>un</li><li>deux</li></ul>' +
      "<table><tr><td>a</td><td>b</td></tr></table><!-- c --><div>fin</div></body></html>",
  },
  "hostile values": {
    subject: "x\r\nBcc: y@z\0 " + "é".repeat(100),
    from: { name: "Eve\r\nBcc: y@z", address: "sensor@example.com" },
    to: [{ name: '"Q" <q@q>, \\', address: "a!#$%&*/=?^`{|}~@x.io" }],
    text: "=".repeat(3000),
    messageId: "id<>=?\r\n@x",
  },
  "a 10,000-character line and '--=_' in 7bit-looking text": { text: "y".repeat(10000) + "\n--=_alertmail\n" },
};

for (const signedChars of [true, false]) {
  test(`under Espruino's regex matcher (${signedChars ? "signed" : "unsigned"} chars) the bundle composes the same bytes as Node`, () => {
    const r = boardRealm();
    useEspruinoRegex(r, { signedChars });
    expect(() => r.run('"ab".split(/b/)', "mime.js")).toThrow("not modelled");
    expect(r.run('"a-b".split("-").length', "mime.js")).toBe(2);
    regexStack.max = 0;
    for (const [name, p] of Object.entries(CORPUS)) {
      const m: MailContent = { ...content(p), date: 1700000000000, tzOffsetMinutes: -300 };
      const want = drain(composeMessage(m)).raw;
      const got = drain(r.global.composeMessage(r.toRealm(m))).raw;
      expect(got, name).toBe(want);
    }
    // The C matcher recurses once per pattern element (~100-200 bytes of the ESP32's stack each): keep it
    // shallow, as a "Too much recursion" stops the whole program (docs/espruino.md trap 11).
    console.log(`deepest Espruino regex recursion: ${regexStack.max} frames`);
    expect(regexStack.max).toBeLessThanOrEqual(25);
    for (const address of ["a b@c.d", "<a@b.c>", "a@b.c, d@e.f", "é@x.y", "a@b\r\nBcc: c@d", "a.b@c"]) {
      let err: any = null;
      try {
        r.global.composeMessage(r.toRealm(content({ to: [{ name: "", address }] })));
      } catch (e) {
        err = e;
      }
      expect(err?.message ?? "accepted", address).toBe(address == "a.b@c" ? "accepted" : "bad address in to[0]");
    }
  });
}
