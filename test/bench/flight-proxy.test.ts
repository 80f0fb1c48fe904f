// The bench's flight-counting proxy: counts turns exactly, keeps byte order under delay, passes TLS through.
import { afterEach, describe, expect, it } from "vitest";
import { createServer, connect, type Server, type Socket } from "node:net";
import * as tls from "node:tls";
import { performance } from "node:perf_hooks";
import { getSimCert } from "../../host-sim/cert.ts";
import { clientFlightsBefore, startFlightProxy, TLS_HANDSHAKE_CLIENT_FLIGHTS, type FlightProxy } from "../../bench/flight-proxy.ts";

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

/** A line server: greets "220 hi", then answers every complete line with "250 <line>" in one write per chunk. */
async function lineServer(): Promise<number> {
  const server: Server = createServer((s) => {
    s.write("220 hi\r\n");
    let buf = "";
    s.on("data", (d) => {
      buf += d.toString("latin1");
      const lines = buf.split("\r\n");
      buf = lines.pop()!;
      if (lines.length) s.write(lines.map((l) => `250 ${l}\r\n`).join(""));
      if (lines.includes("QUIT")) s.end();
    });
    s.on("error", () => {});
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as { port: number }).port;
}

/** Reads CRLF lines from a socket; next(n) resolves with the next n lines. */
function lineReader(s: Socket | tls.TLSSocket) {
  let buf = "";
  const lines: string[] = [];
  let waiter: (() => void) | null = null;
  s.on("data", (d: Buffer) => {
    buf += d.toString("latin1");
    const parts = buf.split("\r\n");
    buf = parts.pop()!;
    lines.push(...parts);
    waiter?.();
  });
  return (n: number) =>
    new Promise<string[]>((resolve) => {
      const check = () => {
        if (lines.length >= n) {
          waiter = null;
          resolve(lines.splice(0, n));
        }
      };
      waiter = check;
      check();
    });
}

async function proxyTo(port: number, delayMs = 0): Promise<FlightProxy> {
  const proxy = await startFlightProxy({ targetPort: port, delayMs });
  cleanup.push(() => proxy.close());
  return proxy;
}

function connectPlain(port: number): Promise<Socket> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1", () => resolve(s));
    cleanup.push(() => void s.destroy());
  });
}

const closed = (p: FlightProxy) =>
  new Promise<void>((resolve) => {
    const poll = () => (p.connections().every((c) => c.closedAt !== null) ? resolve() : setTimeout(poll, 5));
    poll();
  });

describe("flight proxy", () => {
  it("counts one client flight per send that follows a server reply, and one server flight per reply", async () => {
    const proxy = await proxyTo(await lineServer());
    const s = await connectPlain(proxy.port);
    const next = lineReader(s);
    expect(await next(1)).toEqual(["220 hi"]); // server flight 1
    s.write("EHLO x\r\n"); // client flight 1
    expect(await next(1)).toEqual(["250 EHLO x"]); // server flight 2
    s.write("MAIL\r\nRCPT\r\nDATA\r\n"); // client flight 2: three commands, one flight
    expect(await next(3)).toEqual(["250 MAIL", "250 RCPT", "250 DATA"]); // server flight 3
    s.write("QUIT\r\n"); // client flight 3
    expect(await next(1)).toEqual(["250 QUIT"]); // server flight 4
    s.end();
    await closed(proxy);
    const [c] = proxy.connections();
    expect(proxy.connections()).toHaveLength(1);
    expect(c.clientFlights).toBe(3);
    expect(c.serverFlights).toBe(4);
    expect(c.clientBytes).toBe("EHLO x\r\nMAIL\r\nRCPT\r\nDATA\r\nQUIT\r\n".length);
    expect(c.flights.map((f) => f.from)).toEqual(["server", "client", "server", "client", "server", "client", "server"]);
    expect(proxy.totals()).toMatchObject({ connections: 1, clientFlights: 3, serverFlights: 4 });
  });

  it("keeps bytes in order in both directions under a delay, and a round trip takes at least twice the delay", async () => {
    const delay = 20;
    const proxy = await proxyTo(await lineServer(), delay);
    const s = await connectPlain(proxy.port);
    const next = lineReader(s);
    await next(1);
    const sent = Array.from({ length: 50 }, (_, i) => `L${i}`);
    const t0 = performance.now();
    // 50 separate writes with no reply in between: still ONE client flight.
    for (const l of sent) s.write(`${l}\r\n`);
    const got = await next(50);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(2 * delay - 1);
    expect(got).toEqual(sent.map((l) => `250 ${l}`));
    expect(proxy.connections()[0].clientFlights).toBe(1);
  });

  it("gives each connection its own stats and starts clean after reset()", async () => {
    const proxy = await proxyTo(await lineServer());
    for (let i = 0; i < 2; i++) {
      const s = await connectPlain(proxy.port);
      const next = lineReader(s);
      await next(1);
      s.write("A\r\n");
      await next(1);
      s.write("B\r\n");
      await next(1);
      s.end();
    }
    await closed(proxy);
    expect(proxy.connections().map((c) => c.clientFlights)).toEqual([2, 2]);
    expect(proxy.connections().map((c) => c.id)).toEqual([1, 2]);
    const open = await connectPlain(proxy.port);
    const nextOpen = lineReader(open);
    await nextOpen(1);
    const openedAt = proxy.connections()[2].openedAt;
    proxy.reset();
    expect(proxy.connections()).toEqual([]);
    expect(proxy.totals().clientFlights).toBe(0);
    const s = await connectPlain(proxy.port);
    const next = lineReader(s);
    await next(1);
    s.write("C\r\n");
    await next(1);
    expect(proxy.connections().map((c) => c.clientFlights)).toEqual([1]);
    // A connection opened before reset() counts afresh, but keeps its id and the time it opened.
    open.write("D\r\n");
    await nextOpen(1);
    const again = proxy.connections().find((c) => c.id === 3)!;
    expect(again).toMatchObject({ clientFlights: 1, serverFlights: 1, openedAt });
  });

  for (const version of ["TLSv1.2", "TLSv1.3"] as const) {
    it(`passes ${version} through untouched; the handshake costs ${TLS_HANDSHAKE_CLIENT_FLIGHTS} client flights`, async () => {
      const pems = await getSimCert();
      const server = tls.createServer({ key: pems.key, cert: pems.cert, minVersion: version, maxVersion: version }, (s) => {
        s.write("220 tls hi\r\n");
        s.on("data", (d) => s.write(`250 ${d.toString("latin1")}`));
        s.on("error", () => {});
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
      const proxy = await proxyTo((server.address() as { port: number }).port, 5);
      const s = tls.connect({ host: "127.0.0.1", port: proxy.port, rejectUnauthorized: false, maxVersion: version, minVersion: version });
      cleanup.push(() => void s.destroy());
      const next = lineReader(s);
      expect(await next(1)).toEqual(["220 tls hi"]);
      const greeted = performance.now();
      expect(s.getProtocol()).toBe(version);
      const c = proxy.connections()[0];
      expect(clientFlightsBefore(c, greeted)).toBe(TLS_HANDSHAKE_CLIENT_FLIGHTS);
      s.write("EHLO x\r\n");
      expect(await next(1)).toEqual(["250 EHLO x"]);
      expect(proxy.connections()[0].clientFlights).toBe(TLS_HANDSHAKE_CLIENT_FLIGHTS + 1);
    });
  }
});
