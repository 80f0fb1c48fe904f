// Round trips ("turns": times the client had to wait for the server before it could go on) after the
// greeting, for one authenticated message. Counted deterministically by the scripted server of
// test/support/smtp-fake.ts (it delivers replies only once the client has gone quiet), then checked on
// real servers through the bench's flight-counting proxy. RFC floor: 4 with PIPELINING, 3 with CHUNKING.
import { afterAll, describe, expect, it } from "vitest";
import { startFlightProxy, TLS_HANDSHAKE_CLIENT_FLIGHTS, type ConnectionStats } from "../../bench/flight-proxy.ts";
import { startSmtpSink } from "../../host-sim/smtp-sink.ts";
import { postfixSkipReason, startPostfix } from "../../tools/postfix/postfix.ts";
import { createSmtpClient } from "../../src/smtp/client.ts";
import { createFake, mail } from "../support/smtp-fake.ts";
import { bytes, composedMail, nodeClient, sendAsync } from "../support/smtp-node.ts";

function turns(ext: string[], opts: { keepAliveSeconds?: number; to?: string[] } = {}) {
  const fake = createFake({ ext, user: "u", password: "p" });
  const client = createSmtpClient(
    { host: "h", port: 465, security: "tls", user: "u", password: "p", trustedRelay: false, helo: "board.local", keepAliveSeconds: opts.keepAliveSeconds ?? 0, timeoutSeconds: 30 },
    fake.transport,
    fake.timers,
  );
  const to = opts.to ?? ["b@y.test", "c@y.test", "d@y.test"];
  const first = fake.send(client, [mail("a@x.test", to, ["Subject: 1\r\n\r\n", "body\r\n"])]);
  expect(first.err).toBeNull();
  expect(fake.messages).toHaveLength(1);
  const cold = fake.flights;
  fake.resetFlights();
  let warm = -1;
  if (opts.keepAliveSeconds) {
    const second = fake.send(client, [mail("a@x.test", to, ["Subject: 2\r\n\r\n", "again\r\n"])]);
    expect(second.err).toBeNull();
    expect(fake.messages).toHaveLength(2);
    expect(fake.connections).toBe(1);
    warm = fake.flights;
    client.close();
  }
  return { cold, warm };
}

describe("round trips after the greeting, counted by a server that records each wait", () => {
  const table: string[] = [];
  afterAll(() => console.log("turns after the greeting (3 recipients, AUTH):\n" + table.join("\n")));

  it("PIPELINING: EHLO, AUTH PLAIN, {MAIL RCPT×3 DATA}, {body QUIT} = 4", () => {
    const t = turns(["PIPELINING", "AUTH PLAIN LOGIN"]);
    table.push(`  PIPELINING            ${t.cold}`);
    expect(t.cold).toBeLessThanOrEqual(4);
    expect(t.cold).toBe(4);
  });

  it("PIPELINING + CHUNKING: EHLO, AUTH PLAIN, {MAIL RCPT×3 BDAT LAST QUIT} = 3", () => {
    const t = turns(["PIPELINING", "CHUNKING", "AUTH PLAIN LOGIN"]);
    table.push(`  PIPELINING+CHUNKING   ${t.cold}`);
    expect(t.cold).toBeLessThanOrEqual(3);
    expect(t.cold).toBe(3);
  });

  it("a second message on a warm connection costs 1 with CHUNKING, 2 with PIPELINING only", () => {
    const c = turns(["PIPELINING", "CHUNKING", "AUTH PLAIN"], { keepAliveSeconds: 60 });
    const p = turns(["PIPELINING", "AUTH PLAIN"], { keepAliveSeconds: 60 });
    table.push(`  warm, CHUNKING        ${c.warm}`, `  warm, PIPELINING      ${p.warm}`);
    expect(c.warm).toBe(1);
    expect(p.warm).toBe(2);
  });

  it("a batch of 3 costs one turn per message more with PIPELINING, none with CHUNKING", () => {
    const batch = (ext: string[]) => {
      const fake = createFake({ ext, user: "u", password: "p" });
      const client = createSmtpClient(
        { host: "h", port: 465, security: "tls", user: "u", password: "p", trustedRelay: false, helo: "board.local", keepAliveSeconds: 0, timeoutSeconds: 30 },
        fake.transport,
        fake.timers,
      );
      const r = fake.send(client, [1, 2, 3].map((i) => mail("a@x.test", ["b@y.test"], ["Subject: " + i + "\r\n\r\n", "body\r\n"])));
      expect(r.err).toBeNull();
      expect(fake.messages).toHaveLength(3);
      return fake.flights;
    };
    const p = batch(["PIPELINING", "AUTH PLAIN"]);
    const c = batch(["PIPELINING", "CHUNKING", "AUTH PLAIN"]);
    table.push(`  3 mails, PIPELINING   ${p}`, `  3 mails, CHUNKING     ${c}`);
    // EHLO, AUTH, {env1}, {body1 . env2}, {body2 . env3}, {body3 . QUIT}
    expect(p).toBe(6);
    // EHLO, AUTH, {env1 BDAT LAST RSET env2 BDAT LAST RSET env3 BDAT LAST QUIT}
    expect(c).toBe(3);
  });

  it("without extensions every command is a turn; AUTH LOGIN costs 2 more than PLAIN", () => {
    const none = turns(["AUTH PLAIN"], { to: ["b@y.test"] });
    const login = turns(["PIPELINING", "CHUNKING", "AUTH LOGIN"]);
    table.push(`  no extensions, 1 rcpt ${none.cold}`, `  CHUNKING, AUTH LOGIN  ${login.cold}`);
    // EHLO, AUTH, MAIL, RCPT, DATA, body, QUIT
    expect(none.cold).toBe(7);
    expect(login.cold).toBe(5);
  });
});

/** Bytes of one TLS 1.2 alert record (5 header + 2 alert + 8 nonce + 16 tag): close_notify. */
const TLS_ALERT_BYTES = 31;

/**
 * Client flights minus the TLS handshake's, not counting the close_notify alerts either side sends when
 * the connection ends after the last reply (a flight at the proxy, but no turn anybody waits for).
 */
function answeredTurns(c: ConnectionStats): number {
  const flights = c.flights.slice();
  while (flights.length && flights[flights.length - 1].bytes <= TLS_ALERT_BYTES) flights.pop();
  return flights.filter((f) => f.from === "client").length - TLS_HANDSHAKE_CLIENT_FLIGHTS;
}

describe("the same turns on real servers, through the flight-counting proxy", () => {
  const closers: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of closers) await c();
  });
  const content = {
    from: { name: "Board", address: "board@x.test" },
    to: [{ name: "", address: "anna@y.test" }],
    cc: [{ name: "", address: "bob@y.test" }],
    subject: bytes("Turns ✓"),
    text: "short alert\n",
  };

  it("smtp-server (PIPELINING, no CHUNKING): 4 client flights after the TLS handshake", async () => {
    const sink = await startSmtpSink({ users: [{ user: "u", password: "p" }], tls: true });
    const proxy = await startFlightProxy({ targetPort: sink.port });
    closers.push(() => proxy.close(), () => sink.close());
    const r = await sendAsync(nodeClient({ port: proxy.port, user: "u", password: "p" }), [composedMail(content).mail]);
    expect(r.err).toBeNull();
    await sink.waitForMessages(1, 5000);
    expect(answeredTurns(proxy.connections()[0])).toBe(4);
  });

  it.skipIf(postfixSkipReason() !== null)("Postfix (PIPELINING + CHUNKING): 3 client flights after the TLS handshake", async (ctx) => {
    const pf = await startPostfix();
    if (!pf) return ctx.skip();
    const proxy = await startFlightProxy({ targetPort: pf.tlsPort });
    closers.push(() => proxy.close(), () => pf.stop());
    const r = await sendAsync(nodeClient({ port: proxy.port, user: pf.user, password: pf.password }), [composedMail(content).mail]);
    expect(r.err).toBeNull();
    await pf.waitForMessages(1, 15000);
    expect(answeredTurns(proxy.connections()[0])).toBe(3);
  });
});
