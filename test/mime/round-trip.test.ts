// Round trip through mailparser over the corpus the issue names: what we compose reads back as given.
import type { AddressObject } from "mailparser";
import { describe, expect, test } from "vitest";
import { bytes, compose, expectedText, headerLines, mailboxes, parse } from "./helpers.ts";

const LONG_LINE = "0123456789".repeat(1000);
const CORPUS: Record<string, string> = {
  ascii: "Door 3 opened at 14:02.\nTemperature 21.5 C, humidity 40 %.\n",
  accented: "Température élevée dans la cuisine : 31,5 °C.\nÇa dépasse le seuil. Größe, naïve, señor.\n",
  cjk: "温度センサーが警報を出しました。\n台所の温度は三十一度です。\n경보가 발생했습니다.\n",
  emoji: "🔥 Fire alarm 🚨🚒\n👍🏽 family 👨‍👩‍👧‍👦 flags 🇫🇷🇯🇵\n",
  rtl: "تنبيه: درجة الحرارة مرتفعة\nהתראה: הדלת פתוחה\n",
  longLine: LONG_LINE + "\nshort line after\n",
  dotAndFrom: ".\n.hidden line\n..two dots\nFrom the garage\nFrom: not a header\n",
  noFinalNewline: "last line has no line break",
  crlf: "windows\r\nline\r\nends\r\n",
};

describe("a text-only message", () => {
  for (const [name, body] of Object.entries(CORPUS)) {
    test(`reads back its ${name} body, subject and names`, async () => {
      const subject = name == "ascii" ? "Door open" : body.split(/\r?\n/)[0].slice(0, 120);
      const from = { name: "Capteur « Été » 🔥", address: "sensor@example.com" };
      const to = [
        { name: "Ann Smith", address: "ann@example.com" },
        { name: "Zoë O'Brien, Jr.", address: "zoe@example.org" },
        { name: "", address: "ops@example.net" },
      ];
      const cc = [{ name: "李小龍", address: "lee@example.cn" }];
      const { raw } = compose({ subject, from, to, cc, text: body });
      const p = await parse(raw);
      expect(p.subject).toBe(subject);
      expect(mailboxes(p.from)).toEqual([from]);
      expect(mailboxes(p.to)).toEqual(to);
      expect(mailboxes(p.cc)).toEqual(cc);
      expect(p.text).toBe(expectedText(body, true));
      expect(p.html).toBe(false);
      expect(p.headers.get("content-type")).toMatchObject({ value: "text/plain", params: { charset: "utf-8" } });
    });
  }

  test("keeps lines starting with '.' and 'From ' as written, not dot-stuffed", () => {
    const { raw } = compose({ text: CORPUS.dotAndFrom });
    expect(raw).toContain("\r\n\r\n.\r\n.hidden line\r\n..two dots\r\nFrom the garage\r\n");
  });

  test("sends an ASCII body with short lines as 7bit, unchanged", () => {
    const { raw } = compose({ text: CORPUS.ascii });
    expect(raw).toContain("Content-Transfer-Encoding: 7bit\r\n\r\n" + CORPUS.ascii.replace(/\n/g, "\r\n"));
  });

  test("breaks a 10,000-character line into lines of at most 76 and reads it back whole", async () => {
    const { raw } = compose({ text: LONG_LINE });
    expect(raw).toContain("Content-Transfer-Encoding: quoted-printable");
    const body = raw.slice(raw.indexOf("\r\n\r\n") + 4);
    for (const line of body.split("\r\n")) expect(line.length).toBeLessThanOrEqual(76);
    expect((await parse(raw)).text).toBe(LONG_LINE + "\n");
  });

  test("an empty body and an empty subject read back empty", async () => {
    const { raw } = compose({ subject: "", text: "" });
    const p = await parse(raw);
    expect(p.subject ?? "").toBe("");
    expect(p.text ?? "").toBe("");
    expect(headerLines(raw)).toContain("Subject:");
  });

  test("with only Bcc recipients the To header is the empty group undisclosed-recipients:;", async () => {
    const { raw } = compose({ to: [], cc: [] });
    expect(headerLines(raw)).toContain("To: undisclosed-recipients:;");
    const p = await parse(raw);
    expect(p.headers.has("cc")).toBe(false);
    expect((p.to as AddressObject).value).toEqual([{ name: "undisclosed-recipients", group: [] }]);
  });

  test("no text and no html is an empty text/plain message", async () => {
    const p = await parse(compose({}).raw);
    expect(p.text ?? "").toBe("");
    expect(p.headers.get("content-type")).toMatchObject({ value: "text/plain" });
  });
});

describe("HTML", () => {
  const html =
    '<html><head><title>Alarm</title><style>p { color: red; }</style></head><body>' +
    "<h1>Température élevée</h1><p>Kitchen: <b>31,5&nbsp;°C</b> &gt; 30 &amp; rising.<br>See " +
    '<a href="https://example.com/d?id=3&amp;v=1">the dashboard</a> or <a href="https://example.com/">https://example.com/</a>.</p>' +
    "<ul><li>one</li><li>two 🔥</li></ul><p>&#169; &#8364; &#x1F6A8; &#65; &quot;ok&quot; &apos;fine&apos; &unknown; &#0; &#x110000;</p></body></html>";
  const derived =
    "Température élevée\n\nKitchen: 31,5 °C > 30 & rising.\nSee the dashboard (https://example.com/d?id=3&v=1) or https://example.com/.\n\n" +
    '- one\n- two 🔥\n\n© € 🚨 A "ok" \'fine\' &unknown; &#0; &#x110000;';

  test("HTML only: multipart/alternative with a text part derived from it (tags out, links kept, entities decoded)", async () => {
    const { raw } = compose({ subject: "Alarme cuisine", html });
    const p = await parse(raw);
    expect(p.headers.get("content-type")).toMatchObject({ value: "multipart/alternative" });
    expect(p.html).toBe(html);
    expect(p.text).toBe(derived);
    expect(p.subject).toBe("Alarme cuisine");
  });

  test("text and HTML both: each part reads back exactly, final line breaks included", async () => {
    for (const body of Object.values(CORPUS)) {
      const h = "<p>" + body.replace(/\n/g, "<br>\n") + "</p>\n";
      const p = await parse(compose({ text: body, html: h }).raw);
      expect(p.text).toBe(expectedText(body, false));
      expect(p.html).toBe(expectedText(h, false));
    }
  });

  test("a body line that spells the boundary cannot end the part early", async () => {
    const evil = "before\n--=_alertmail\nContent-Type: text/html\n\n<script>x</script>\n--=_alertmail--\nafter";
    const { raw } = compose({ text: evil, html: "<p>ok</p>" });
    const p = await parse(raw);
    expect(p.text).toBe(evil);
    expect(p.html).toBe("<p>ok</p>");
    expect(raw.split("\r\n").filter((l) => l.startsWith("--=_alertmail"))).toHaveLength(3);
  });

  test("the derived text of an HTML fragment in bytes equals the same on JS strings", async () => {
    const p = await parse(compose({ html: "<div>Zoë&nbsp;&amp;&nbsp;李</div><div>à la ligne</div>" }).raw);
    expect(p.text).toBe("Zoë & 李\n\nà la ligne");
    expect(bytes(p.text!)).not.toContain("\xef\xbf\xbd");
  });
});
