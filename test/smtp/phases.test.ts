// The session's named phases as the wire shows them (issue 13): while DATA's 354 is awaited and while a
// body waits for drain nothing else is written; without PIPELINING one command is in flight at a time;
// after a refused DATA the next mail starts with RSET.
import { describe, expect, it } from "vitest";
import type { Transport } from "../../src/platform/socket.ts";
import { createSmtpClient, MAX_WRITE, type SmtpClient } from "../../src/smtp/client.ts";
import { createFake, mail, type FakeOptions } from "../support/smtp-fake.ts";

const FULL = ["PIPELINING", "CHUNKING", "AUTH PLAIN"];
const PIPE = ["PIPELINING", "AUTH PLAIN"];

/** A client on the fake whose every write is recorded; onWrite sees each one (with its index) as it goes. */
function setup(f: FakeOptions, onWrite?: (s: string, i: number) => void) {
  const fake = createFake({ user: "u", password: "pw", ...f });
  const writes: string[] = [];
  const transport: Transport = {
    connect(host, port, secure, h) {
      const s = fake.transport.connect(host, port, secure, h);
      return {
        write(x: string) {
          writes.push(x);
          s.write(x);
          if (onWrite) onWrite(x, writes.length - 1);
        },
        end: () => s.end(),
      };
    },
  };
  const client: SmtpClient = createSmtpClient(
    { host: "127.0.0.1", port: 465, security: "tls", user: "u", password: "pw", trustedRelay: false, helo: "b.local", keepAliveSeconds: 0, timeoutSeconds: 10 },
    transport,
    fake.timers,
  );
  return { fake, client, writes };
}
const m = (s: string, size = 0) => mail("a@x.test", ["b@y.test"], ["Subject: " + s + "\r\n\r\n", "x".repeat(size) + s + "\r\n"]);

describe("phase Data: DATA written, its 354 not in", () => {
  it("a mail added then waits, and its group follows the first message's end in the same write (RFC 2920 §3.1)", () => {
    let added: boolean | undefined;
    let client!: SmtpClient;
    const s = setup({ ext: PIPE, reply: (v) => (v === "DATA" && added === undefined ? ((added = client.add(m("two"))), undefined) : undefined) });
    client = s.client;
    const r = s.fake.send(client, [m("one")]);
    expect(added).toBe(true);
    expect(r.err).toBeNull();
    expect(r.results.map((x) => x.error)).toEqual([null, null]);
    expect(s.fake.messages.map((x) => x.data.split("\r\n")[0])).toEqual(["Subject: one", "Subject: two"]);
    // Nothing between DATA and the 354: the write after the envelope group is the body with the next group.
    const group = s.writes.findIndex((w) => w.includes("DATA\r\n"));
    expect(s.writes[group + 1]).toMatch(/^Subject: one\r\n\r\none\r\n\.\r\nMAIL FROM:<a@x\.test>\r\nRCPT TO:<b@y\.test>\r\nDATA\r\n$/);
  });
});

describe("phase Body: a body being written, the next piece waits for drain", () => {
  it.each([[PIPE], [FULL]])("a mail added mid-body (%j) writes nothing before the drain, goes after the whole first message, and each write stays within MAX_WRITE", (ext) => {
    let client!: SmtpClient;
    let added: boolean | undefined;
    let wroteInAdd = -1;
    const s = setup({ ext }, (w, i) => {
      // The first piece of the body is out: the client now waits for drain, and add() writes nothing.
      if (added === undefined && w.includes("Subject: one")) {
        added = client.add(m("two"));
        wroteInAdd = s.writes.length - 1 - i;
      }
    });
    client = s.client;
    const r = s.fake.send(client, [m("one", 3 * MAX_WRITE)]);
    expect(added).toBe(true);
    expect(wroteInAdd).toBe(0);
    expect(r.err).toBeNull();
    expect(s.fake.messages.map((x) => x.data.split("\r\n")[0])).toEqual(["Subject: one", "Subject: two"]);
    const wire = s.fake.wire[0];
    const end = ext === FULL ? wire.lastIndexOf("one\r\n") : wire.indexOf("one\r\n.\r\n");
    const next = wire.indexOf("MAIL FROM", wire.indexOf("Subject: one"));
    expect(next).toBeGreaterThan(end);
    // CHUNKING: the first message's outcome is not known when the next group goes: RSET first.
    if (ext === FULL) expect(wire.slice(end, next)).toContain("RSET\r\n");
    expect(Math.max(...s.writes.map((w) => w.length))).toBeLessThanOrEqual(MAX_WRITE + 100);
  });
});

describe("no PIPELINING: one command in flight", () => {
  it("each envelope command waits for the reply before it: one command line per write, one turn each", () => {
    const s = setup({ ext: ["AUTH PLAIN"] });
    const r = s.fake.send(s.client, [mail("a@x.test", ["b@y.test", "c@y.test", "d@y.test"], ["Subject: x\r\n\r\nx\r\n"])]);
    expect(r.err).toBeNull();
    expect(r.results[0].accepted).toEqual(["b@y.test", "c@y.test", "d@y.test"]);
    const commands = s.writes.filter((w) => !w.startsWith("Subject"));
    expect(commands.map((w) => w.split(" ")[0].replace("\r\n", ""))).toEqual(["EHLO", "AUTH", "MAIL", "RCPT", "RCPT", "RCPT", "DATA", "QUIT"]);
    for (const w of commands) expect(w.indexOf("\r\n")).toBe(w.length - 2);
    // EHLO, AUTH, MAIL, 3 × RCPT, DATA, body + ".", QUIT (after the 250: no PIPELINING).
    expect(s.fake.flights).toBe(9);
  });
});

describe("RSET after a failed transaction (RFC 5321 §4.1.1.5)", () => {
  it.each([[PIPE], [["AUTH PLAIN"]]])("a refused DATA (%j) leaves the transaction open: the next mail starts with RSET and goes", (ext) => {
    let first = true;
    const s = setup({ ext, reply: (v) => (v === "DATA" && first ? ((first = false), "554 5.7.1 not now") : undefined) });
    const r = s.fake.send(s.client, [m("one"), m("two")]);
    expect(r.err).toBeNull();
    expect(r.results[0].error).toMatchObject({ code: "EMESSAGE", command: "DATA", responseCode: 554 });
    expect(r.results[1].error).toBeNull();
    expect(s.fake.messages.map((x) => x.data.split("\r\n")[0])).toEqual(["Subject: two"]);
    const c = s.fake.transcript.filter((l) => l.startsWith("C: ")).map((l) => l.slice(3).split(" ")[0]);
    expect(c.slice(c.indexOf("DATA") + 1, c.indexOf("DATA") + 3)).toEqual(["RSET", "MAIL"]);
  });
});
