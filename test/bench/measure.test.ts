// The bench's trial through the proxy counts nodemailer's known turns (peers.md) against the embedded sink.
import { afterAll, describe, expect, it } from "vitest";
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
    expect(r).toMatchObject({ newConnections: 0, flights: 2, flightsAfterTls: 2 });
    expect(proxy.connections()).toHaveLength(1);
    expect(sink.messages).toHaveLength(2);
  });
});
