// TCP proxy on 127.0.0.1 that adds a fixed one-way delay and counts client and server flights.
//
// Definitions (everything is observed at the proxy, in the order bytes ARRIVE at it, before delay):
// - A CLIENT FLIGHT starts when the proxy receives client→server bytes and either no client bytes
//   were received on this connection before, or server→client bytes were received since the
//   client's previous bytes. In words: the number of times the client spoke after having heard the
//   server (the first send counts). Several TCP segments sent back to back are ONE flight.
// - A SERVER FLIGHT is the same with the roles swapped (the SMTP greeting is server flight 1 on a
//   plain connection).
// So a client flight is one "turn": every client flight after the first means the client waited
// for the server at least once. Bytes are never inspected, so TLS passes through untouched (the
// client does TLS to the server through the proxy). A full TLS 1.2 or 1.3 handshake without 0-RTT
// costs exactly 2 client flights (ClientHello; then Finished) before the client can send
// application data: see TLS_HANDSHAKE_CLIENT_FLIGHTS and test/bench/flight-proxy.test.ts.
//
// Delay: each chunk, and the end of each direction, is forwarded `delayMs` after it arrived, in
// arrival order (one FIFO queue per direction), so a round trip through the proxy gains 2×delayMs.
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { performance } from "node:perf_hooks";

/** Client flights a full TLS handshake costs (ClientHello, then ChangeCipherSpec/Finished). */
export const TLS_HANDSHAKE_CLIENT_FLIGHTS = 2;

export type FlightDirection = "client" | "server";

export interface Flight {
  from: FlightDirection;
  /** performance.now() when the flight's first byte reached the proxy. */
  at: number;
  /** Bytes in the flight (all chunks until the other side spoke). */
  bytes: number;
}

export interface ConnectionStats {
  id: number;
  openedAt: number;
  closedAt: number | null;
  clientFlights: number;
  serverFlights: number;
  clientBytes: number;
  serverBytes: number;
  flights: Flight[];
}

export interface FlightProxy {
  port: number;
  /** One-way delay in ms applied to each direction; may be changed between connections. */
  delayMs: number;
  /** Stats of every connection since start or the last reset(), oldest first. */
  connections(): ConnectionStats[];
  /** Sums over connections(). */
  totals(): { connections: number; clientFlights: number; serverFlights: number; clientBytes: number; serverBytes: number };
  /** Forget the stats of all connections (open ones keep counting into fresh records). */
  reset(): void;
  close(): Promise<void>;
}

/** Client flights of `c` that started before time `t` (performance.now() clock). */
export function clientFlightsBefore(c: ConnectionStats, t: number): number {
  return c.flights.filter((f) => f.from === "client" && f.at < t).length;
}

/** Client flights minus the TLS handshake's, never below zero. */
export function clientFlightsAfterTls(clientFlights: number): number {
  return Math.max(0, clientFlights - TLS_HANDSHAKE_CLIENT_FLIGHTS);
}

function freshStats(id: number): ConnectionStats {
  return { id, openedAt: performance.now(), closedAt: null, clientFlights: 0, serverFlights: 0, clientBytes: 0, serverBytes: 0, flights: [] };
}

/** A FIFO that forwards chunks (null = end) after a fixed delay, in order. */
function delayedPipe(getDelay: () => number, out: Socket) {
  const queue: { due: number; data: Buffer | null }[] = [];
  let timer: NodeJS.Timeout | null = null;
  function flush() {
    timer = null;
    const now = performance.now();
    while (queue.length && queue[0].due <= now + 0.5) {
      const item = queue.shift()!;
      if (out.destroyed) continue;
      if (item.data === null) out.end();
      else out.write(item.data);
    }
    if (queue.length) timer = setTimeout(flush, Math.max(0, queue[0].due - now));
  }
  return (data: Buffer | null) => {
    const delay = getDelay();
    if (delay <= 0 && queue.length === 0) {
      if (out.destroyed) return;
      if (data === null) out.end();
      else out.write(data);
      return;
    }
    queue.push({ due: performance.now() + delay, data });
    if (!timer) timer = setTimeout(flush, Math.max(0, queue[0].due - performance.now()));
  };
}

export async function startFlightProxy(opts: { targetPort: number; targetHost?: string; delayMs?: number }): Promise<FlightProxy> {
  const targetHost = opts.targetHost ?? "127.0.0.1";
  let records: ConnectionStats[] = [];
  let nextId = 1;
  const sockets = new Set<Socket>();
  const proxy: FlightProxy = {
    port: 0,
    delayMs: opts.delayMs ?? 0,
    connections: () => records.slice(),
    totals() {
      const t = { connections: records.length, clientFlights: 0, serverFlights: 0, clientBytes: 0, serverBytes: 0 };
      for (const r of records) {
        t.clientFlights += r.clientFlights;
        t.serverFlights += r.serverFlights;
        t.clientBytes += r.clientBytes;
        t.serverBytes += r.serverBytes;
      }
      return t;
    },
    reset() {
      records = [];
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };

  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    let stats = freshStats(nextId++);
    records.push(stats);
    // After reset() an open connection counts into a new record (same id and openedAt), starting clean.
    const current = () => {
      if (!records.includes(stats)) {
        stats = { ...freshStats(stats.id), openedAt: stats.openedAt };
        records.push(stats);
      }
      return stats;
    };
    let last: FlightDirection | null = null;
    const note = (from: FlightDirection, n: number) => {
      const s = current();
      if (from === "client") s.clientBytes += n;
      else s.serverBytes += n;
      const flight = s.flights[s.flights.length - 1];
      if (last === from && flight && flight.from === from) {
        flight.bytes += n;
        return;
      }
      last = from;
      s.flights.push({ from, at: performance.now(), bytes: n });
      if (from === "client") s.clientFlights++;
      else s.serverFlights++;
    };
    const upstream = createConnection({ host: targetHost, port: opts.targetPort, allowHalfOpen: true });
    sockets.add(client);
    sockets.add(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const toServer = delayedPipe(() => proxy.delayMs, upstream);
    const toClient = delayedPipe(() => proxy.delayMs, client);
    client.on("data", (d: Buffer) => {
      note("client", d.length);
      toServer(d);
    });
    upstream.on("data", (d: Buffer) => {
      note("server", d.length);
      toClient(d);
    });
    client.on("end", () => toServer(null));
    upstream.on("end", () => toClient(null));
    const finish = () => {
      if (stats.closedAt === null) stats.closedAt = performance.now();
    };
    client.on("close", () => {
      sockets.delete(client);
      finish();
      // Let queued bytes drain before tearing the other side down.
      setTimeout(() => upstream.destroy(), proxy.delayMs + 50);
    });
    upstream.on("close", () => {
      sockets.delete(upstream);
      setTimeout(() => client.destroy(), proxy.delayMs + 50);
    });
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const addr = server.address();
  proxy.port = typeof addr === "object" && addr ? addr.port : 0;
  return proxy;
}
