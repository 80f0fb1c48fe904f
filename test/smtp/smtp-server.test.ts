// Interop with a real smtp-server (the simulator's sink and a LOGIN-only server) over implicit TLS with an
// RSA certificate, through the simulator's Espruino net/tls emulation; bodies checked byte for byte.
import type { AddressInfo } from "node:net";
import { simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import { afterAll, describe, expect, it } from "vitest";
import { getSimCert } from "../../host-sim/cert.ts";
import { startSmtpSink } from "../../host-sim/smtp-sink.ts";
import { bytes, composedMail, nodeClient, sendAsync } from "../support/smtp-node.ts";

const USER = { user: "board@x.test", password: "s3cret pässword" };
const utf8 = (s: string) => Buffer.from(s, "latin1").toString("utf8");

const TEXT = [
  "Alarm: Tür offen, 23.5 °C — 🔥",
  ".a line that starts with a dot",
  ".",
  "..two dots",
  "From the basement",
  "x".repeat(3000),
  "日本語のテキスト",
  "end",
].join("\n");

function content(i: number) {
  return {
    from: { name: "Board", address: "board@x.test" },
    to: [{ name: "Ånna", address: "anna@y.test" }],
    cc: [{ name: "", address: "bob@y.test" }],
    subject: bytes(`Alert ${i}: Tür offen ✓`),
    text: bytes(TEXT + "\n#" + i),
    date: Date.UTC(2026, 10, 29, 12, 0, 0),
  };
}

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers) await c();
});

describe("against smtp-server over implicit TLS", () => {
  for (const pipelining of [true, false]) {
    it(`delivers two messages with AUTH PLAIN, PIPELINING ${pipelining ? "on" : "off"}, bodies byte for byte`, async () => {
      const sink = await startSmtpSink({ users: [USER], pipelining, tls: true });
      closers.push(() => sink.close());
      const log: string[] = [];
      const client = nodeClient({ port: sink.port, user: USER.user, password: bytes(USER.password) }, log);
      const a = composedMail(content(1));
      const b = composedMail(content(2), ["carol@y.test", "dave@y.test"]);
      const r = await sendAsync(client, [a.mail, b.mail]);
      expect(r.err).toBeNull();
      expect(r.results.map((x) => x.accepted)).toEqual([
        ["anna@y.test", "bob@y.test"],
        ["carol@y.test", "dave@y.test"],
      ]);
      expect(r.results[0].response).toMatch(/^250 /);
      const got = await sink.waitForMessages(2, 5000);
      expect(got[0].raw.toString("latin1")).toBe(a.raw);
      expect(got[1].raw.toString("latin1")).toBe(b.raw);
      expect(got[0].envelope).toEqual({ from: "board@x.test", to: ["anna@y.test", "bob@y.test"] });
      expect(got[0].user).toBe(USER.user);
      expect(got[0].secure).toBe(true);
      expect(got[0].parsed.text).toBe(TEXT + "\n#1\n");
      expect(got[1].parsed.subject).toBe("Alert 2: Tür offen ✓");
      expect(log).toContain("C: AUTH PLAIN ****");
      expect(log.join("\n")).not.toContain(Buffer.from("\0" + USER.user + "\0" + USER.password).toString("base64"));
      // With PIPELINING the envelope goes as one group: the transcript shows MAIL, RCPT, RCPT, DATA before any reply.
      const i = log.findIndex((l) => l.startsWith("C: MAIL FROM:<board@x.test>"));
      expect(i).toBeGreaterThan(0);
      expect(log.slice(i, i + 4).every((l) => l.startsWith("C: "))).toBe(pipelining);
    });
  }

  it("reports a wrong password as EAUTH (535) mentioning app passwords", async () => {
    const sink = await startSmtpSink({ users: [USER], tls: true });
    closers.push(() => sink.close());
    const client = nodeClient({ port: sink.port, user: USER.user, password: "wrong" });
    const r = await sendAsync(client, [composedMail(content(1)).mail]);
    expect(r.err).toMatchObject({ code: "EAUTH", responseCode: 535, transient: false });
    expect(r.err!.message).toMatch(/app password/);
    expect(sink.messages).toHaveLength(0);
  });

  it("keeps per-recipient results when the server refuses one RCPT", async () => {
    const sink = await startSmtpSink({ users: [USER], tls: true, faults: [{ at: "rcpt", reply: "550 5.1.1 no such user", times: 1 }] });
    closers.push(() => sink.close());
    const client = nodeClient({ port: sink.port, user: USER.user, password: bytes(USER.password) });
    const r = await sendAsync(client, [composedMail(content(1), ["nobody@y.test", "anna@y.test", "bob@y.test"]).mail]);
    expect(r.err).toBeNull();
    expect(r.results[0].accepted).toEqual(["anna@y.test", "bob@y.test"]);
    expect(r.results[0].rejected).toEqual([{ address: "nobody@y.test", response: "550 5.1.1 no such user" }]);
    expect((await sink.waitForMessages(1, 5000))[0].envelope.to).toEqual(["anna@y.test", "bob@y.test"]);
  });

  it("sends the next message over the kept-alive connection", async () => {
    const sink = await startSmtpSink({ users: [USER], tls: true });
    closers.push(() => sink.close());
    const client = nodeClient({ port: sink.port, user: USER.user, password: bytes(USER.password), keepAliveSeconds: 30 });
    expect((await sendAsync(client, [composedMail(content(1)).mail])).err).toBeNull();
    expect((await sendAsync(client, [composedMail(content(2)).mail])).err).toBeNull();
    client.close();
    expect(sink.events.filter((e) => e === "connect")).toHaveLength(1);
    expect((await sink.waitForMessages(2, 5000)).map((m) => m.parsed.subject)).toEqual(["Alert 1: Tür offen ✓", "Alert 2: Tür offen ✓"]);
  });

  it("logs in with AUTH LOGIN when the server offers only LOGIN", async () => {
    const cert = await getSimCert();
    const received: Buffer[] = [];
    const server = new SMTPServer({
      secure: true,
      key: cert.key,
      cert: cert.cert,
      authMethods: ["LOGIN"],
      disabledCommands: ["STARTTLS"],
      logger: false,
      onAuth(auth, _s, cb) {
        if (auth.method === "LOGIN" && auth.username === USER.user && auth.password === USER.password) return cb(null, { user: auth.username });
        cb(new Error("535 bad"));
      },
      onData(stream, _s, cb) {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          received.push(Buffer.concat(chunks));
          cb();
        });
      },
    });
    await new Promise<void>((res) => server.listen(0, "127.0.0.1", () => res()));
    closers.push(() => new Promise((res) => server.close(() => res())));
    const port = (server.server.address() as AddressInfo).port;
    const log: string[] = [];
    const client = nodeClient({ port, user: USER.user, password: bytes(USER.password) }, log);
    const m = composedMail(content(3));
    const r = await sendAsync(client, [m.mail]);
    expect(r.err).toBeNull();
    expect(log).toContain("C: AUTH LOGIN");
    expect(received.map((b) => b.toString("latin1"))).toEqual([m.raw]);
    expect((await simpleParser(received[0])).text).toBe(TEXT + "\n#3\n");
    expect(utf8(m.raw)).toContain("Content-Type: text/plain; charset=utf-8");
  });

  it("reports a refused connection as ECONNECTION thrown at connect, like the board", async () => {
    const sink = await startSmtpSink({ tls: true });
    const port = sink.port;
    await sink.close();
    const r = await sendAsync(nodeClient({ port }), [composedMail(content(1)).mail]);
    expect(r.err).toMatchObject({ code: "ECONNECTION", transient: true });
  });

  it("reports a failed TLS handshake (the board: end + close(false), no error) as ETLS", async () => {
    const sink = await startSmtpSink({ tls: false });
    closers.push(() => sink.close());
    const r = await sendAsync(nodeClient({ port: sink.port, timeoutSeconds: 5 }), [composedMail(content(1)).mail]);
    expect(r.err).toMatchObject({ code: "ETLS", transient: true });
  });

  it("reconnects cleanly after the server closed the kept-alive connection (421 idle timeout)", async () => {
    const cert = await getSimCert();
    let connects = 0;
    const received: string[] = [];
    const server = new SMTPServer({
      secure: true,
      key: cert.key,
      cert: cert.cert,
      authOptional: true,
      disabledCommands: ["AUTH", "STARTTLS"],
      logger: false,
      socketTimeout: 300,
      onConnect(_s, cb) {
        connects++;
        cb();
      },
      onData(stream, _s, cb) {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          received.push(Buffer.concat(chunks).toString("latin1"));
          cb();
        });
      },
    });
    await new Promise<void>((res) => server.listen(0, "127.0.0.1", () => res()));
    closers.push(() => new Promise((res) => server.close(() => res())));
    const port = (server.server.address() as AddressInfo).port;
    const log: string[] = [];
    const client = nodeClient({ port, keepAliveSeconds: 60 }, log);
    const a = composedMail(content(1));
    const b = composedMail(content(2));
    expect((await sendAsync(client, [a.mail])).err).toBeNull();
    // The server times the idle connection out: "421 … closing connection", then a TLS close.
    for (let i = 0; i < 100 && !log.some((l) => l.startsWith("S: 421")); i++) await new Promise((res) => setTimeout(res, 100));
    expect(log.some((l) => l.startsWith("S: 421"))).toBe(true);
    expect((await sendAsync(client, [b.mail])).err).toBeNull();
    client.close();
    expect(connects).toBe(2);
    expect(received).toEqual([a.raw, b.raw]);
  });
});
