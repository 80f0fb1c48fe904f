// The bench's trial through the proxy counts nodemailer's known turns (peers.md) against the embedded sink.
import { afterAll, describe, expect, it } from "vitest";
import { createServer, connect, type Server } from "node:net";
import { performance } from "node:perf_hooks";
import { startSmtpSink, type SmtpSink } from "../../host-sim/smtp-sink.ts";
import { startFlightProxy, type FlightProxy } from "../../bench/flight-proxy.ts";
import { quiesce, trial } from "../../bench/measure.ts";
import { coldNodemailer, pooledNodemailer } from "../../bench/nodemailer-side.ts";

const user = { user: "bench", password: "pw" };
const sinks: SmtpSink[] = [];
const proxies: FlightProxy[] = [];

async function via(pipelining: boolean) {
  const sink = await startSmtpSink({ users: [user], pipelining, tls: true });
  const proxy = await startFlightProxy({ targetPort: sink.port });
  sinks.push(sink);
  proxies.push(proxy);
  return { sink, proxy, target: { port: proxy.port, user: user.user, password: user.password } };
}

afterAll(async () => {
  for (const p of proxies) await p.close();
  for (const s of sinks) await s.close();
});

describe("bench trial", () => {
  it("counts nodemailer's cold send as 4 flights after TLS with PIPELINING and 6 without, one new connection each", async () => {
    for (const [pipelining, expected] of [
      [true, 4],
      [false, 6],
    ] as const) {
      const { sink, proxy, target } = await via(pipelining);
      const nm = coldNodemailer(target);
      const r = await trial(proxy, () => nm.send({ subject: "cold", text: "hello" }));
      nm.close();
      expect(r.newConnections).toBe(1);
      expect(r.flightsAfterTls).toBe(expected);
      expect(r.flights).toBe(expected + 2);
      expect(r.connectMs).toBeGreaterThanOrEqual(0);
      expect(r.connectMs).toBeLessThanOrEqual(r.ms);
      expect(await quiesce(proxy)).toBe(true);
      expect(sink.messages.map((m) => m.parsed.subject)).toEqual(["cold"]);
    }
  });

  it("counts a pooled nodemailer's second send as 2 flights on the open connection", async () => {
    const { sink, proxy, target } = await via(true);
    const pool = pooledNodemailer(target);
    await pool.send({ subject: "first", text: "a" });
    const r = await trial(proxy, () => pool.send({ subject: "second", text: "b" }));
    pool.close();
    expect(r).toMatchObject({ newConnections: 0, flights: 2, flightsAfterTls: 2, connectMs: null });
    expect(proxy.connections()).toHaveLength(1);
    expect(sink.messages).toHaveLength(2);
  });

  it("does not count a client flight sent after the 250 arrived, even when the client reports the 250 late", async () => {
    // A server that answers each chunk with one 250 line, except QUIT, which it never answers.
    const server: Server = createServer((c) => {
      c.write("220 hi\r\n");
      c.on("data", (d) => {
        if (!d.toString().startsWith("QUIT")) c.write("250 ok\r\n");
      });
      c.on("error", () => {});
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const proxy = await startFlightProxy({ targetPort: (server.address() as { port: number }).port, delayMs: 5 });
    proxies.push(proxy);
    const s = connect(proxy.port, "127.0.0.1");
    const replies: string[] = [];
    let wake: (() => void) | null = null;
    s.on("data", (d) => {
      replies.push(d.toString());
      wake?.();
    });
    const next = (n: number) => new Promise<void>((r) => (wake = () => replies.length >= n && r())).then(() => void (wake = null));
    await next(1);
    const r = await trial(
      proxy,
      async () => {
        s.write("MAIL\r\n");
        await next(2);
        s.write("QUIT\r\n"); // sent before the client reports: like a close_notify before a log line
        while (proxy.connections()[0].clientFlights < 2) await new Promise((w) => setTimeout(w, 1));
        return performance.now(); // reported after the QUIT went out
      },
      { tls: false },
    );
    s.destroy();
    await new Promise<void>((res) => server.close(() => res()));
    expect(proxy.connections()[0].clientFlights).toBe(2);
    expect(r.flights).toBe(1);
    expect(r.flightsAfterTls).toBe(1);
  });
});
