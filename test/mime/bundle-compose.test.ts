// The composer as the board runs it: src/mime/compose.ts bundled with the firmware's esbuild options into an
// IIFE, loaded as latin1 bytes into the simulator's Espruino-only realm (no Map/Set/Buffer/TextEncoder, the
// board's indexOf and fromCharCode quirks), composing a multipart message that mailparser reads correctly.
import { build } from "esbuild";
import { beforeAll, expect, test } from "vitest";
import { createRealm, type Realm } from "../../host-sim/realm.ts";
import { checkBundle } from "../../tools/bundle-check.ts";
import { esbuildOptions, ROOT } from "../../tools/build.ts";
import { bytes, mailboxes, parse } from "./helpers.ts";

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
  realm = createRealm({ now: () => 0, defer: (fn) => setTimeout(fn, 0), call: (fn, args) => fn(...args) });
  realm.global.btoa = (s: string) => Buffer.from(s, "latin1").toString("base64");
  realm.run(code, "mime.js");
});

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
