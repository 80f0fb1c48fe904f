// The SMTP session against scripted transcripts (test/support/smtp-fake.ts): extensions, AUTH, refusals,
// disconnects, garbage and timeouts, on a virtual clock.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createSmtpClient, MAX_WRITE, type SmtpClientOptions } from "../../src/smtp/client.ts";
import { withTranscript } from "../../src/smtp/transcript.ts";
import { createFake, mail, type FakeOptions } from "../support/smtp-fake.ts";

const FULL = ["PIPELINING", "CHUNKING", "8BITMIME", "AUTH PLAIN LOGIN"];

function setup(f: FakeOptions = {}, o: Partial<SmtpClientOptions> = {}) {
  const fake = createFake({ user: "u@x.test", password: "pw", ...f });
  const log: string[] = [];
  const client = createSmtpClient(
    {
      host: "127.0.0.1",
      port: 465,
      security: "tls",
      user: "u@x.test",
      password: "pw",
      trustedRelay: false,
      helo: "board.local",
      keepAliveSeconds: 0,
      timeoutSeconds: 10,
      ...o,
    },
    withTranscript(fake.transport, (l) => log.push(l)),
    fake.timers,
  );
  return { fake, client, log };
}

const BODY = ["Subject: hi\r\n\r\n", "line one\r\n", ".dot line\r\n", "last"];
const BODY_DATA = "Subject: hi\r\n\r\nline one\r\n.dot line\r\nlast\r\n";
const m1 = () => mail("a@x.test", ["b@y.test"], BODY);

/** Client commands as the server saw them. */
const cmds = (t: string[]) => t.filter((l) => l.startsWith("C: ")).map((l) => l.slice(3));

describe("session", () => {
  it("sends one command per turn to a server with no extensions", () => {
    const { fake, client } = setup({ ext: ["AUTH PLAIN"] });
    const r = fake.send(client, [m1()]);
    expect(r.err).toBeNull();
    expect(r.results).toHaveLength(1);
    expect(r.results[0].accepted).toEqual(["b@y.test"]);
    expect(r.results[0].response).toMatch(/^250 /);
    expect(fake.messages).toEqual([{ from: "a@x.test", to: ["b@y.test"], data: BODY_DATA, via: "DATA" }]);
    expect(cmds(fake.transcript)).toEqual([
      "EHLO board.local",
      expect.stringMatching(/^AUTH PLAIN /),
      "MAIL FROM:<a@x.test>",
      "RCPT TO:<b@y.test>",
      "DATA",
      "QUIT",
      "(end)",
    ]);
    // EHLO, AUTH, MAIL, RCPT, DATA, body, QUIT
    expect(fake.flights).toBe(7);
    expect(fake.timers.pending()).toBe(0);
  });

  it("groups MAIL, every RCPT and DATA with PIPELINING, and QUIT with the body: 4 turns", () => {
    const { fake, client } = setup({ ext: ["PIPELINING", "AUTH PLAIN LOGIN"] });
    const r = fake.send(client, [mail("a@x.test", ["b@y.test", "c@y.test", "d@y.test"], BODY)]);
    expect(r.err).toBeNull();
    expect(r.results[0].accepted).toEqual(["b@y.test", "c@y.test", "d@y.test"]);
    expect(fake.messages[0].data).toBe(BODY_DATA);
    expect(fake.flights).toBe(4);
    const w = fake.wire[0];
    expect(w).toContain("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nRCPT TO:<c@y.test>\r\nRCPT TO:<d@y.test>\r\nDATA\r\n");
    expect(w.endsWith("last\r\n.\r\nQUIT\r\n")).toBe(true);
    expect(fake.timers.pending()).toBe(0);
  });

  it("sends MAIL, RCPT, BDAT LAST and QUIT as one group with CHUNKING: 3 turns", () => {
    const { fake, client } = setup({ ext: FULL });
    const r = fake.send(client, [m1()]);
    expect(r.err).toBeNull();
    expect(fake.messages).toEqual([{ from: "a@x.test", to: ["b@y.test"], data: BODY.join(""), via: "BDAT" }]);
    expect(fake.flights).toBe(3);
    expect(fake.wire[0]).toContain("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nBDAT 40 LAST\r\nSubject");
    expect(fake.wire[0].endsWith("last" + "QUIT\r\n")).toBe(true);
    expect(fake.timers.pending()).toBe(0);
  });

  it("sends several messages on one connection, and a CHUNKING batch in one turn", () => {
    const { fake, client } = setup({ ext: FULL });
    const mails = [m1(), mail("a@x.test", ["c@y.test"], ["two"]), mail("a@x.test", ["d@y.test"], ["three"])];
    const r = fake.send(client, mails);
    expect(r.err).toBeNull();
    expect(r.results.map((x) => x.accepted)).toEqual([["b@y.test"], ["c@y.test"], ["d@y.test"]]);
    expect(fake.messages.map((m) => m.data)).toEqual([BODY.join(""), "two", "three"]);
    expect(fake.connections).toBe(1);
    expect(fake.flights).toBe(3);
  });

  it("sends several messages with PIPELINING, one group each", () => {
    const { fake, client } = setup({ ext: ["PIPELINING", "AUTH LOGIN PLAIN"] });
    const r = fake.send(client, [m1(), mail("a@x.test", ["c@y.test"], ["two\r\n"])]);
    expect(r.err).toBeNull();
    expect(fake.messages.map((m) => m.data)).toEqual([BODY_DATA, "two\r\n"]);
    expect(fake.connections).toBe(1);
  });

  it("falls back to HELO when EHLO gets a 5xx", () => {
    const { fake, client } = setup(
      { reply: (v) => (v === "EHLO" ? "502 5.5.2 EHLO not implemented" : undefined) },
      { password: "" },
    );
    const r = fake.send(client, [m1()]);
    expect(r.err).toBeNull();
    expect(cmds(fake.transcript).slice(0, 3)).toEqual(["EHLO board.local", "HELO board.local", "MAIL FROM:<a@x.test>"]);
    expect(fake.messages).toHaveLength(1);
  });

  it("logs in with AUTH LOGIN when PLAIN is not offered, redacting the transcript", () => {
    const { fake, client, log } = setup({ ext: ["PIPELINING", "AUTH LOGIN"] });
    const r = fake.send(client, [m1()]);
    expect(r.err).toBeNull();
    expect(cmds(fake.transcript).slice(1, 4)).toEqual(["AUTH LOGIN", Buffer.from("u@x.test").toString("base64"), Buffer.from("pw").toString("base64")]);
    expect(log.join("\n")).not.toContain(Buffer.from("pw").toString("base64"));
    expect(log.join("\n")).not.toContain(Buffer.from("u@x.test").toString("base64"));
    expect(log).toContain("C: AUTH LOGIN");
    expect(log).toContain("S: 235 2.7.0 Authentication successful");
  });

  it("never puts a secret into an error, even when the server falls silent mid-AUTH LOGIN", () => {
    const { fake, client } = setup({ ext: ["AUTH LOGIN"], reply: (v, a) => (v === "AUTH" && a === "result" ? "SILENT" : undefined) });
    const r = fake.send(client, [m1()]);
    expect(r.err).toMatchObject({ code: "ETIMEDOUT", command: "AUTH" });
    const all = JSON.stringify({ ...r.err, message: r.err!.message });
    for (const secret of ["pw", Buffer.from("pw").toString("base64"), Buffer.from("u@x.test").toString("base64")]) expect(all).not.toContain(secret);
  });

  it("redacts AUTH PLAIN in the transcript", () => {
    const { fake, client, log } = setup({ ext: FULL });
    fake.send(client, [m1()]);
    expect(log).toContain("C: AUTH PLAIN ****");
    expect(log.join("\n")).not.toContain(Buffer.from("\0u@x.test\0pw").toString("base64"));
    expect(log[0]).toBe("S: 220 fake.test ESMTP");
  });

  it("the transcript shows each command and reply line, message content only as its size (DATA and BDAT)", () => {
    const two = () => [m1(), mail("a@x.test", ["c@y.test"], ["Subject: 2\r\n\r\n", "x".repeat(3000)])];
    const d = setup({ ext: ["PIPELINING", "AUTH PLAIN"] });
    expect(d.fake.send(d.client, two()).err).toBeNull();
    const dc = d.log.filter((l) => l.startsWith("C: "));
    expect(dc.filter((l) => !l.startsWith("C: ("))).toEqual(["C: EHLO board.local", "C: AUTH PLAIN ****", "C: MAIL FROM:<a@x.test>", "C: RCPT TO:<b@y.test>", "C: DATA", "C: MAIL FROM:<a@x.test>", "C: RCPT TO:<c@y.test>", "C: DATA", "C: QUIT"]);
    const sizes = dc.filter((l) => l.startsWith("C: (")).map((l) => +l.slice(4, -7));
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(BODY_DATA.length + 1 /* ..dot */ + 3 + "Subject: 2\r\n\r\n".length + 3002 + 3);
    expect(d.log.join("\n")).not.toContain("line one");
    expect(d.log.filter((l) => l.startsWith("S: 354"))).toHaveLength(2);
    const b = setup({ ext: FULL });
    expect(b.fake.send(b.client, two()).err).toBeNull();
    const bc = b.log.filter((l) => l.startsWith("C: "));
    // The second message (14 + 3000 bytes) in chunks of MAX_WRITE, the rest LAST.
    const chunks = ["C: BDAT " + (BODY_DATA.length - 2) + " LAST"];
    let left = 14 + 3000;
    for (; left > MAX_WRITE; left -= MAX_WRITE) chunks.push("C: BDAT " + MAX_WRITE);
    chunks.push("C: BDAT " + left + " LAST");
    expect(bc.filter((l) => l.startsWith("C: BDAT"))).toEqual(chunks);
    expect(bc.some((l) => l.startsWith("C: (") || l.includes("xxx") || l.includes("line one"))).toBe(false);
  });

  it("reports 535 as EAUTH that mentions app passwords, not transient", () => {
    const { fake, client } = setup({ ext: FULL, password: "other" });
    const r = fake.send(client, [m1()]);
    expect(r.err).toMatchObject({ code: "EAUTH", responseCode: 535, transient: false, command: "AUTH" });
    expect(r.err!.message).toMatch(/app password/);
    expect(r.err).toBeInstanceOf(Error);
    expect(r.results).toEqual([]);
    expect(fake.messages).toHaveLength(0);
    expect(fake.timers.pending()).toBe(0);
  });

  it("refuses AUTH over a plain connection unless the relay is trusted", () => {
    const a = setup({ ext: FULL }, { security: "plain" });
    const r = a.fake.send(a.client, [m1()]);
    expect(r.err).toMatchObject({ code: "ECONFIG", transient: false });
    expect(a.fake.connections).toBe(0);
    const b = setup({ ext: FULL }, { security: "plain", trustedRelay: true });
    expect(b.fake.send(b.client, [m1()]).err).toBeNull();
  });

  it("fails with EAUTH when the server offers no usable mechanism", () => {
    const { fake, client } = setup({ ext: ["PIPELINING", "AUTH CRAM-MD5"] });
    const r = fake.send(client, [m1()]);
    expect(r.err).toMatchObject({ code: "EAUTH", transient: false });
  });

  it("reports a 421 greeting as a transient ECONNECTION", () => {
    const { fake, client } = setup({ greeting: "421 4.3.2 busy, try later\r\n" });
    const r = fake.send(client, [m1()]);
    expect(r.err).toMatchObject({ code: "ECONNECTION", responseCode: 421, transient: true, response: "421 4.3.2 busy, try later" });
    expect(fake.timers.pending()).toBe(0);
  });

  it("reports a 554 greeting as a permanent error", () => {
    const { fake, client } = setup({ greeting: "554 5.7.1 go away\r\n" });
    const r = fake.send(client, [m1()]);
    expect(r.err).toMatchObject({ code: "ECONNECTION", responseCode: 554, transient: false });
  });

  it.each([["451 4.3.0 try later"], ["452 4.5.3 too many recipients"], ["550 5.1.1 no such user"]])("one refused RCPT (%s) does not stop the others", (refusal) => {
    const { fake, client } = setup({ ext: FULL, reply: (v, a) => (v === "RCPT" && a === "c@y.test" ? refusal : undefined) });
    const r = fake.send(client, [mail("a@x.test", ["b@y.test", "c@y.test", "d@y.test"], ["x"])]);
    expect(r.err).toBeNull();
    expect(r.results[0].accepted).toEqual(["b@y.test", "d@y.test"]);
    expect(r.results[0].rejected).toEqual([{ address: "c@y.test", response: refusal }]);
    expect(r.results[0].error).toBeNull();
    expect(fake.messages[0].to).toEqual(["b@y.test", "d@y.test"]);
  });

  it.each([
    [FULL, "451 4.3.0 try later", true],
    [FULL, "550 5.1.1 no such user", false],
    [["PIPELINING", "AUTH PLAIN"], "451 4.3.0 try later", true],
    [["AUTH PLAIN"], "550 5.1.1 no such user", false],
  ])("every RCPT refused (%j, %s) is EENVELOPE and the next mail still goes", (ext, refusal, transient) => {
    const { fake, client } = setup({ ext, reply: (v, a) => (v === "RCPT" && a.startsWith("b") ? refusal : undefined) });
    const r = fake.send(client, [mail("a@x.test", ["b@y.test", "b2@y.test"], ["x"]), mail("a@x.test", ["c@y.test"], ["second\r\n"])]);
    expect(r.err).toBeNull();
    expect(r.results[0].error).toMatchObject({ code: "EENVELOPE", transient, command: "RCPT" });
    expect(r.results[0].accepted).toEqual([]);
    expect(r.results[0].rejected.map((x) => x.address)).toEqual(["b@y.test", "b2@y.test"]);
    expect(r.results[1].error).toBeNull();
    expect(fake.messages.map((m) => m.data)).toEqual(["second\r\n"]);
  });

  it("a server that says 354 after refusing every RCPT gets an empty message", () => {
    const { fake, client } = setup({
      ext: ["PIPELINING", "AUTH PLAIN"],
      reply: (v) => (v === "RCPT" ? "550 no" : v === "DATA" ? "354 go on" : undefined),
    });
    const r = fake.send(client, [m1()]);
    expect(r.results[0].error).toMatchObject({ code: "EENVELOPE" });
    expect(fake.wire[0]).toContain("DATA\r\n.\r\n");
  });

  it("reports a refused sender as EENVELOPE", () => {
    const { fake, client } = setup({ ext: FULL, reply: (v) => (v === "MAIL" ? "553 5.7.1 sender not allowed" : undefined) });
    const r = fake.send(client, [m1()]);
    expect(r.err).toBeNull();
    expect(r.results[0].error).toMatchObject({ code: "EENVELOPE", responseCode: 553, command: "MAIL", transient: false });
  });

  it.each([
    [FULL, "BDAT LAST"],
    [["PIPELINING", "AUTH PLAIN"], "."],
    [["AUTH PLAIN"], "."],
  ])("reports 554 after the data (%j) as EMESSAGE, permanent", (ext, verb) => {
    let once = 0;
    const { fake, client } = setup({ ext, reply: (v) => (v === verb && !once++ ? "554 5.7.1 spam" : undefined) });
    const r = fake.send(client, [m1(), mail("a@x.test", ["c@y.test"], ["ok\r\n"])]);
    expect(r.err).toBeNull();
    expect(r.results[0].error).toMatchObject({ code: "EMESSAGE", responseCode: 554, transient: false, response: "554 5.7.1 spam" });
    expect(r.results[1].error).toBeNull();
    expect(fake.messages.map((m) => m.data)).toEqual(["ok\r\n"]);
    // A BDAT transaction's outcome is unknown when the next one is pipelined behind it: RSET first.
    if (verb === "BDAT LAST") expect(cmds(fake.transcript)).toContain("RSET");
  });

  it("reports 451 after the data as a transient EMESSAGE", () => {
    const { fake, client } = setup({ ext: ["PIPELINING", "AUTH PLAIN"], reply: (v) => (v === "." ? "451 4.3.0 later" : undefined) });
    const r = fake.send(client, [m1()]);
    expect(r.results[0].error).toMatchObject({ code: "EMESSAGE", transient: true });
  });

  it("throws no exception and calls back once whatever step the server hangs up at", () => {
    for (const ext of [FULL, ["PIPELINING", "AUTH PLAIN"], ["AUTH PLAIN LOGIN"]]) {
      for (let at = 1; at <= 12; at++) {
        const { fake, client } = setup({ ext, closeAt: at });
        const r = fake.send(client, [m1(), mail("a@x.test", ["c@y.test", "d@y.test"], ["two"])]);
        expect(r.calls).toBe(1);
        expect(fake.timers.pending()).toBe(0);
        // A mail without a result was not delivered; every result corresponds to a delivery.
        expect(fake.messages.length).toBe(r.results.filter((x) => !x.error).length);
        if (r.results.length < 2) expect(r.err).toMatchObject({ code: "ECONNECTION", transient: true });
        else expect(r.err).toBeNull();
      }
    }
  });

  it("calls back once with a consistent result whatever byte the server hangs up after", () => {
    const big = ["Subject: big\r\n\r\n", "a".repeat(2000) + "\r\n", ".b".repeat(1000) + "\r\n", "end"];
    for (const ext of [FULL, ["PIPELINING", "AUTH PLAIN"], ["AUTH PLAIN LOGIN"]]) {
      const mails = () => [mail("a@x.test", ["b@y.test"], big), mail("a@x.test", ["c@y.test"], ["two"])];
      const full = setup({ ext });
      expect(full.fake.send(full.client, mails()).err).toBeNull();
      const total = full.fake.wire[0].length;
      for (let n = 0; n < total; n += 7) {
        const { fake, client } = setup({ ext, closeAfterBytes: n });
        const r = fake.send(client, mails());
        expect(r.calls).toBe(1);
        expect(fake.timers.pending()).toBe(0);
        expect(fake.messages.length).toBe(r.results.filter((x) => x && !x.error).length);
        if (r.results.length < 2) expect(r.err).toMatchObject({ code: "ECONNECTION", transient: true });
      }
    }
  });

  it("reports a close before the greeting on TLS as ETLS (the board's failed handshake)", () => {
    const { fake, client } = setup({ closeBeforeGreeting: true });
    const r = fake.send(client, [m1()]);
    expect(r.err).toMatchObject({ code: "ETLS", transient: true });
    const p = setup({ closeBeforeGreeting: true }, { security: "plain", password: "" });
    expect(p.fake.send(p.client, [m1()]).err).toMatchObject({ code: "ECONNECTION" });
  });

  it("turns a connect that throws into ECONNECTION, called back later", () => {
    const { fake, client } = setup({ connectThrows: true });
    let called = 0;
    client.send([m1()], () => called++);
    expect(called).toBe(0);
    fake.run();
    expect(called).toBe(1);
    expect(fake.timers.pending()).toBe(0);
    const r = fake.send(client, [m1()]);
    expect(r.err).toMatchObject({ code: "ECONNECTION", transient: true });
    expect(r.err!.message).toMatch(/Unable to create socket/);
  });

  it.each([
    ["garbage greeting", { greeting: "HELLO THERE\r\n" }],
    ["garbage EHLO reply", { reply: (v: string) => (v === "EHLO" ? "25O-what\r\n" : undefined) }],
    ["binary noise", { greeting: "\x00\x01\x02\xff\r\n" }],
    ["an endless multi-line reply", { reply: (v: string) => (v === "EHLO" ? ("250-" + "x".repeat(70) + "\r\n").repeat(400) : undefined) }],
    ["a line too long", { greeting: "220 " + "y".repeat(3000) + "\r\n" }],
    ["a line too long without end", { greeting: "220 " + "y".repeat(3000) }],
  ])("ends %s with EPROTOCOL", (_name, f) => {
    for (const chunk of [1, 7, 536]) {
      const { fake, client } = setup({ ext: FULL, chunk, ...(f as FakeOptions) });
      const r = fake.send(client, [m1()]);
      expect(r.err).toMatchObject({ code: "EPROTOCOL" });
      expect(r.calls).toBe(1);
      expect(fake.timers.pending()).toBe(0);
    }
  });

  it("survives any server: random replies at random steps end in one callback and no timer", () => {
    const line = fc.oneof(
      fc.constantFrom("250 ok", "250-x", "354 go", "421 bye", "550 no", "334 VXNlcm5hbWU6", "235 ok", "221 bye", "", "CLOSE", "SILENT"),
      fc.string({ maxLength: 40 }).map((x) => Buffer.from(x.replace(/[\r\n]/g, ""), "utf8").toString("latin1")),
      fc.integer({ min: 100, max: 999 }).map((n) => n + (n % 2 ? " " : "-") + "x"),
    );
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 12 }), fc.constantFrom(FULL, ["PIPELINING", "AUTH LOGIN"], ["AUTH PLAIN"]), (script, ext) => {
        let k = 0;
        const { fake, client } = setup({
          ext,
          reply: (v) => {
            const x = k < script.length ? script[k++] : undefined;
            return x === "" ? undefined : x === undefined ? undefined : x.startsWith("250-") ? x + "\r\n250 end" : x;
          },
        });
        const r = fake.send(client, [m1(), mail("a@x.test", ["c@y.test"], ["two"])]);
        expect(r.calls).toBe(1);
        expect(fake.timers.pending()).toBe(0);
        // Never "sent" for a mail the server did not take. (The converse cannot hold: a pipelined server may
        // take a mail whose reply comes after a garbage one; that mail has no result and will be resent.)
        expect(r.results.filter((x) => x && !x.error).length).toBeLessThanOrEqual(fake.messages.length);
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 300) },
    );
  });

  it("ends a reply nobody asked for with EPROTOCOL", () => {
    // While the body streams after 354 nothing is in flight: a reply then is a protocol error.
    const { fake, client } = setup({ ext: ["AUTH PLAIN"], reply: (v) => (v === "DATA" ? "354 go\r\n250 surprise" : undefined) });
    const r = fake.send(client, [mail("a@x.test", ["b@y.test"], ["x".repeat(3000)])]);
    expect(r.err).toMatchObject({ code: "EPROTOCOL" });
    expect(r.err!.message).toMatch(/250 surprise/);
  });

  it("times out a silent server at the greeting and at every step, clearing all timers", () => {
    const g = setup({ greeting: "" });
    const r0 = g.fake.send(g.client, [m1()]);
    expect(r0.err).toMatchObject({ code: "ETIMEDOUT", transient: true, command: "CONNECT" });
    expect(g.fake.timers.now()).toBe(10000);
    expect(g.fake.timers.pending()).toBe(0);
    for (const [verb, command] of [
      ["EHLO", "EHLO"],
      ["AUTH", "AUTH"],
      ["MAIL", "MAIL"],
      ["RCPT", "RCPT"],
      ["BDAT LAST", "BDAT"],
      ["QUIT", "QUIT"],
    ]) {
      const { fake, client } = setup({ ext: FULL, reply: (v) => (v === verb ? "SILENT" : undefined) });
      const r = fake.send(client, [m1()]);
      if (verb === "QUIT") expect(r.err).toBeNull();
      else expect(r.err).toMatchObject({ code: "ETIMEDOUT", transient: true, command });
      expect(fake.timers.pending()).toBe(0);
    }
  });

  it("times out a server that stops reading during the data phase", () => {
    const { fake, client } = setup({ ext: ["PIPELINING", "AUTH PLAIN"], reply: (v) => (v === "." ? "SILENT" : undefined) });
    const r = fake.send(client, [m1()]);
    expect(r.err).toMatchObject({ code: "ETIMEDOUT" });
    expect(fake.timers.pending()).toBe(0);
  });

  it("keeps the connection warm: the next message costs one turn, then QUIT after the idle window", () => {
    const { fake, client } = setup({ ext: FULL }, { keepAliveSeconds: 60 });
    expect(fake.send(client, [m1()]).err).toBeNull();
    expect(fake.timers.pending()).toBe(1);
    fake.resetFlights();
    const r = fake.send(client, [mail("a@x.test", ["c@y.test"], ["warm"])]);
    expect(r.err).toBeNull();
    expect(fake.flights).toBe(1);
    expect(fake.connections).toBe(1);
    expect(fake.messages.map((m) => m.data)).toEqual([BODY.join(""), "warm"]);
    fake.advance(60000);
    expect(cmds(fake.transcript).slice(-2)).toEqual(["QUIT", "(end)"]);
    expect(fake.timers.pending()).toBe(0);
  });

  it("reconnects cleanly when the server closed a kept-alive connection", () => {
    const { fake, client } = setup({ ext: FULL }, { keepAliveSeconds: 60 });
    expect(fake.send(client, [m1()]).err).toBeNull();
    fake.hangUp();
    const r = fake.send(client, [mail("a@x.test", ["c@y.test"], ["again"])]);
    expect(r.err).toBeNull();
    expect(fake.connections).toBe(2);
    expect(fake.messages.map((m) => m.data)).toEqual([BODY.join(""), "again"]);
    client.close();
    expect(fake.timers.pending()).toBe(0);
  });

  it("reconnects once when a kept-alive connection turns out dead at the next send", () => {
    const { fake, client } = setup({ ext: FULL, reply: (v, _a, n) => (v === "MAIL" && n === 6 ? "421 4.4.2 idle timeout" : undefined) }, { keepAliveSeconds: 60 });
    expect(fake.send(client, [m1()]).err).toBeNull();
    const r = fake.send(client, [mail("a@x.test", ["c@y.test"], ["again"])]);
    expect(r.err).toBeNull();
    expect(fake.connections).toBe(2);
    expect(fake.messages.map((m) => m.data)).toEqual([BODY.join(""), "again"]);
    client.close();
    expect(fake.timers.pending()).toBe(0);
  });

  it("opens the next connection only after the last one closed: one TLS session at a time", () => {
    const { fake, client } = setup({ ext: FULL, holdClose: true });
    expect(fake.send(client, [m1()]).err).toBeNull();
    const done: unknown[] = [];
    client.send([mail("a@x.test", ["c@y.test"], ["next"])], (e) => done.push(e));
    fake.run();
    expect(fake.connections).toBe(1);
    fake.releaseClose();
    expect(fake.connections).toBe(2);
    expect(done).toEqual([null]);
    expect(fake.maxOpen).toBe(1);
    expect(fake.timers.pending()).toBe(0);
  });

  it("stops waiting for a close that never comes after 2 s", () => {
    const { fake, client } = setup({ ext: FULL, holdClose: true });
    expect(fake.send(client, [m1()]).err).toBeNull();
    const t0 = fake.timers.now();
    const r = fake.send(client, [mail("a@x.test", ["c@y.test"], ["next"])]);
    expect(r.err).toBeNull();
    expect(fake.timers.now() - t0).toBe(2000);
    expect(fake.connections).toBe(2);
  });

  it("refuses a second send while one runs, and close() may be called twice", () => {
    const { fake, client } = setup({ ext: FULL });
    const errs: unknown[] = [];
    client.send([m1()], (e) => errs.push(e));
    client.send([m1()], (e) => errs.push(e));
    fake.run();
    expect(errs[0]).toMatchObject({ code: "ECONFIG", transient: true });
    expect(errs[1]).toBeNull();
    client.close();
    client.close();
    expect(fake.timers.pending()).toBe(0);
  });

  it("close() during a send ends it with a transient error", () => {
    const { fake, client } = setup({ ext: FULL, reply: (v) => (v === "MAIL" ? "SILENT" : undefined) });
    const errs: any[] = [];
    client.send([m1()], (e) => errs.push(e));
    fake.run();
    client.close();
    fake.run();
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ code: "ECONNECTION", transient: true });
    expect(fake.timers.pending()).toBe(0);
  });

  it.each([[FULL], [["PIPELINING", "AUTH PLAIN"]], [["AUTH PLAIN"]]])("answers a mail that cannot be composed with ECONFIG and sends the others (%j)", (ext) => {
    const { fake, client } = setup({ ext });
    const broken = {
      from: "a@x.test",
      to: ["b@y.test"],
      body: (): (() => string | null) => {
        throw new Error("bad address in To");
      },
    };
    const r = fake.send(client, [m1(), broken, mail("a@x.test", [], ["nobody"]), mail("a@x.test", ["c@y.test"], ["third"])]);
    expect(r.err).toBeNull();
    expect(r.results).toHaveLength(4);
    expect(r.results.map((x) => x.error && x.error.code)).toEqual([null, "ECONFIG", "ECONFIG", null]);
    expect(r.results[1].error).toMatchObject({ transient: false, message: "bad message: bad address in To" });
    expect(r.results[3].accepted).toEqual(["c@y.test"]);
    expect(fake.messages.map((m) => m.to)).toEqual([["b@y.test"], ["c@y.test"]]);
    expect(fake.timers.pending()).toBe(0);
  });

  it("never writes more than about 2 KB at once, and BDAT chunks add up", () => {
    const big = Array.from({ length: 10 }, (_, i) => String.fromCharCode(65 + i).repeat(1900) + "\r\n");
    for (const ext of [FULL, ["PIPELINING", "AUTH PLAIN"]]) {
      const { fake, client } = setup({ ext });
      const r = fake.send(client, [mail("a@x.test", ["b@y.test"], big)]);
      expect(r.err).toBeNull();
      expect(fake.messages[0].data).toBe(big.join(""));
      expect(fake.maxWrite).toBeLessThanOrEqual(MAX_WRITE + 100);
    }
  });
});
