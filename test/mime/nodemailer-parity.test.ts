// The same message composed by nodemailer's MailComposer and by ours parses to the same fields.
import MailComposer from "nodemailer/lib/mail-composer";
import { expect, test } from "vitest";
import { compose, mailboxes, parse, type Plain } from "./helpers.ts";

/**
 * What a receiver stores after nodemailer's SMTP transport: bare LF turned to CRLF (its data stream does it;
 * MailComposer leaves "\n" in text) and the data ending with CRLF (RFC 5321 §4.1.1.4).
 */
function afterSmtp(raw: Buffer): string {
  const s = raw.toString("latin1").replace(/\r?\n/g, "\r\n");
  return s.endsWith("\r\n") ? s : s + "\r\n";
}

const DATE = Date.UTC(2026, 10, 29, 22, 5, 9);
const MESSAGES: Record<string, Plain> = {
  "ASCII text": { subject: "Door open", text: "Door 3 opened.\n" },
  "accented names, emoji subject": {
    subject: "🔥 Température élevée — cuisine",
    from: { name: "Capteur Été", address: "sensor@example.com" },
    to: [{ name: "Zoë O'Brien, Jr.", address: "zoe@example.org" }, { name: "", address: "ops@example.net" }],
    cc: [{ name: "李小龍", address: "lee@example.cn" }],
    text: "Ça chauffe : 31,5 °C.\nSeuil 30 °C.\n",
  },
  "CJK and RTL": { subject: "警報 / تنبيه / התראה", text: "台所の温度は三十一度です。\nدرجة الحرارة مرتفعة\n" },
  "a 10,000-character line": { subject: "long", text: "x".repeat(10000) + "\nend\n" },
  "text and HTML": {
    subject: "Alarm",
    text: "Kitchen: 31.5 C\nSee https://example.com/\n",
    html: '<p>Kitchen: <b>31.5&nbsp;°C</b></p><p>See <a href="https://example.com/">the dashboard</a></p>\n',
  },
  "'.' and 'From ' lines": { subject: "dots", text: ".\n.x\nFrom here\n" },
};

for (const [name, m] of Object.entries(MESSAGES)) {
  test(`${name}: nodemailer and ours parse to the same fields`, async () => {
    const from = m.from ?? { name: "Garage sensor", address: "sensor@example.com" };
    const to = m.to ?? [{ name: "Ann", address: "ann@example.com" }];
    const theirs = await new MailComposer({
      from,
      to,
      cc: m.cc,
      subject: m.subject,
      text: m.text,
      html: m.html,
      date: new Date(DATE),
      messageId: "<parity.1@sensor.example.com>",
    })
      .compile()
      .build();
    const a = await parse(afterSmtp(theirs));
    const b = await parse(compose({ ...m, date: DATE, messageId: "parity.1@sensor.example.com" }).raw);
    expect(b.subject).toBe(a.subject);
    expect(mailboxes(b.from)).toEqual(mailboxes(a.from));
    expect(mailboxes(b.to)).toEqual(mailboxes(a.to));
    expect(mailboxes(b.cc)).toEqual(mailboxes(a.cc));
    expect(b.text).toBe(a.text);
    expect(b.html).toBe(a.html);
    expect(b.messageId).toBe(a.messageId);
    expect(b.date?.getTime()).toBe(a.date?.getTime());
    expect(b.headers.get("content-type")).toMatchObject({ value: (a.headers.get("content-type") as any).value });
  });
}
