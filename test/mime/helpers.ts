// Shared by the composer tests: UTF-8 ↔ byte-string conversion (what the board sees), draining a piece
// source, parsing with mailparser, and a message with defaults so each test states only what it is about.
import { simpleParser, type AddressObject, type ParsedMail } from "mailparser";
import type { Mailbox } from "../../src/config.ts";
import { composeMessage, type MailContent } from "../../src/mime/compose.ts";

/** A JS string as the board holds it: its UTF-8 bytes, one char per byte. */
export const bytes = (s: string) => Buffer.from(s, "utf8").toString("latin1");
/** A board byte string back to a JS string. */
export const text = (b: string) => Buffer.from(b, "latin1").toString("utf8");

export interface Plain {
  from?: Mailbox;
  to?: Mailbox[];
  cc?: Mailbox[];
  subject?: string;
  text?: string;
  html?: string;
  date?: number;
  tzOffsetMinutes?: number;
  messageId?: string;
}

/** MailContent from ordinary JS strings, converted to bytes as the firmware would hand them over. */
export function content(p: Plain): MailContent {
  const mb = (m: Mailbox) => ({ name: bytes(m.name), address: m.address });
  return {
    from: mb(p.from ?? { name: "Garage sensor", address: "sensor@example.com" }),
    to: (p.to ?? [{ name: "Ann", address: "ann@example.com" }]).map(mb),
    cc: (p.cc ?? []).map(mb),
    subject: bytes(p.subject ?? "Door open"),
    text: p.text === undefined ? undefined : bytes(p.text),
    html: p.html === undefined ? undefined : bytes(p.html),
    date: p.date,
    tzOffsetMinutes: p.tzOffsetMinutes,
    messageId: p.messageId ?? "1700000000.1@sensor.example.com",
  };
}

/** Every piece a source hands out, and their concatenation (a byte string). */
export function drain(src: () => string | null): { raw: string; pieces: string[] } {
  const pieces: string[] = [];
  for (let p = src(); p !== null; p = src()) pieces.push(p);
  return { raw: pieces.join(""), pieces };
}

export function compose(p: Plain) {
  return drain(composeMessage(content(p)));
}

export function parse(raw: string): Promise<ParsedMail> {
  return simpleParser(Buffer.from(raw, "latin1"));
}

/** [{name, address}] of a parsed address header, [] when absent. */
export function mailboxes(a: AddressObject | AddressObject[] | undefined): Mailbox[] {
  const list = a === undefined ? [] : Array.isArray(a) ? a : [a];
  return list.flatMap((o) => o.value.map((v) => ({ name: v.name ?? "", address: v.address ?? "" })));
}

/** The header block (before the first empty line) as its physical lines. */
export function headerLines(raw: string): string[] {
  return raw.slice(0, raw.indexOf("\r\n\r\n")).split("\r\n");
}

/** What a header value becomes: control characters but TAB turned to spaces, as the composer does. */
export const cleaned = (s: string) => s.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, " ");

/** A text body as mailparser gives it back: CRLF → LF; a lone part gains a final line break (SMTP adds one). */
export function expectedText(t: string, alone: boolean): string {
  const s = t.replace(/\r\n/g, "\n").replace(/\r/g, "");
  return alone && s && !s.endsWith("\n") ? s + "\n" : s;
}
