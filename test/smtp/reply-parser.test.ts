// The reply reader: a table of raw inputs, each fed whole and split at every byte boundary.
import { describe, expect, it } from "vitest";
import { MAX_LINE, MAX_REPLY, readReply, type ReplyReader } from "../../src/smtp/reply-parser.ts";

type Out = (string | [number, string])[];

/**
 * Feeds chunks the way the client does: each chunk added to buf, every complete reply read; after the
 * first error nothing more is read (the client drops the connection).
 */
function reader(out: Out): (chunk: string) => void {
  const r: ReplyReader = { buf: "", acc: "", text: "" };
  let dead = false;
  return (chunk) => {
    if (dead) return;
    r.buf += chunk;
    let code;
    while ((code = readReply(r)) > 0) out.push([code, r.text]);
    if (code < 0) {
      out.push("error: " + r.text);
      dead = true;
    }
  };
}

function parse(chunks: string[]): Out {
  const out: Out = [];
  const feed = reader(out);
  for (const c of chunks) feed(c);
  return out;
}

/** Every way to cut s in two, plus one byte at a time. */
function splits(s: string): string[][] {
  const all: string[][] = [[s], s.split("")];
  for (let i = 1; i < s.length; i++) all.push([s.slice(0, i), s.slice(i)]);
  return all;
}

const TABLE: [string, string, Out][] = [
  ["a one-line reply", "220 mx.test ESMTP ready\r\n", [[220, "220 mx.test ESMTP ready"]]],
  ["a bare LF line end", "250 ok\n", [[250, "250 ok"]]],
  ["a code with no text", "250\r\n", [[250, "250"]]],
  [
    "a multi-line EHLO reply",
    "250-mx.test\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n250 CHUNKING\r\n",
    [[250, "250-mx.test\n250-PIPELINING\n250-AUTH PLAIN LOGIN\n250 CHUNKING"]],
  ],
  ["an enhanced status code (RFC 3463)", "535 5.7.8 Username and Password not accepted\r\n", [[535, "535 5.7.8 Username and Password not accepted"]]],
  [
    "two replies in one chunk",
    "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go\r\n",
    [
      [250, "250 2.1.0 Ok"],
      [250, "250 2.1.5 Ok"],
      [354, "354 go"],
    ],
  ],
  ["a partial reply waits", "250-first\r\n250 sec", []],
  ["a CR inside a line is kept", "250 a\rb\r\n", [[250, "250 a\rb"]]],
  ["8-bit bytes in the text", "550 5.1.1 m\xc3\xa9chant\r\n", [[550, "550 5.1.1 m\xc3\xa9chant"]]],
  ["a garbage line", "hello\r\n", ["error: bad reply line: hello"]],
  ["a 1xx code", "100 continue\r\n", ["error: bad reply line: 100 continue"]],
  ["a bad separator", "250_x\r\n", ["error: bad reply line: 250_x"]],
  ["nothing after garbage", "nope\r\n250 ok\r\n", ["error: bad reply line: nope"]],
  ["an empty line", "\r\n", ["error: bad reply line: "]],
];

describe("reply reader", () => {
  for (const [name, input, expected] of TABLE) {
    it(`parses ${name}, however the bytes are split`, () => {
      for (const chunks of splits(input)) expect(parse(chunks)).toEqual(expected);
    });
  }

  it("refuses a line over 1 KB, ended or not, at any split", () => {
    expect(MAX_LINE).toBe(1024);
    expect(parse(["220 " + "w".repeat(1100) + "\r\n"])).toEqual(["error: reply too long"]);
    const long = "250 " + "x".repeat(MAX_LINE);
    for (const input of [long + "\r\n", long]) {
      expect(parse([input])).toEqual(["error: reply too long"]);
      expect(parse(input.match(/[\s\S]{1,536}/g)!)).toEqual(["error: reply too long"]);
    }
    // 1 KB exactly is still a line.
    const ok = "250 " + "y".repeat(MAX_LINE - 4);
    for (const chunks of splits(ok + "\r\n")) expect(parse(chunks)).toEqual([[250, ok]]);
  });

  it("refuses an endless multi-line reply after 4 KB and stops reading", () => {
    const out: Out = [];
    const feed = reader(out);
    const line = "250-" + "z".repeat(76) + "\r\n";
    for (let i = 0; i < 1000; i++) feed(line);
    feed("250 end\r\n");
    expect(out).toEqual(["error: reply too long"]);
    expect(MAX_REPLY).toBe(4096);
    // 55 lines of 80 bytes: 4.4 KB is already too long.
    expect(parse([line.repeat(54) + "250 end\r\n"])).toEqual(["error: reply too long"]);
  });

  it("hands over a reply of almost 4 KB (four times the largest real EHLO reply)", () => {
    const line = "250-" + "z".repeat(76) + "\r\n";
    const input = line.repeat(49) + "250 end\r\n";
    const out = parse(input.match(/[\s\S]{1,536}/g)!);
    expect(out).toHaveLength(1);
    expect((out[0] as [number, string])[1].split("\n")).toHaveLength(50);
  });
});
