// One timed trial through the flight proxy: trigger → the client saw the server's 250, with the
// client flights (turns) the proxy counted in that window.
import { performance } from "node:perf_hooks";
import { TLS_HANDSHAKE_CLIENT_FLIGHTS, type FlightProxy } from "./flight-proxy.ts";

export interface Trial {
  /** Trigger → the 250 (see `endAt`). */
  ms: number;
  /** Client flights that the server answered before the client saw the 250, all connections. */
  flights: number;
  /** Connections opened in that window. */
  newConnections: number;
  /** flights minus the TLS handshake flights of the connections opened in the window. */
  flightsAfterTls: number;
  /** Trigger → the first new connection reached the proxy, or null on a reused connection. */
  connectMs: number | null;
}

export interface TrialOptions {
  /** Subtract TLS_HANDSHAKE_CLIENT_FLIGHTS per new connection (default true). */
  tls?: boolean;
  /** When the 250 happened, given when the client reported it (e.g. the server's own accept time). */
  endAt?: () => number | undefined;
}

/**
 * Runs `trigger` (which resolves with performance.now() when the client reported the 250) and counts
 * the client flights of the window. The 250 reached the client in the last server flight the proxy
 * saw before that moment; client flights after it (a QUIT, a TLS close_notify sent before the client
 * got round to reporting) cannot have been needed for the 250 and are not counted.
 */
export async function trial(proxy: FlightProxy, trigger: () => Promise<number>, opts: TrialOptions = {}): Promise<Trial> {
  const t0 = performance.now();
  const seen = await trigger();
  let answeredBy = t0;
  for (const c of proxy.connections()) for (const f of c.flights) if (f.from === "server" && f.at <= seen && f.at > answeredBy) answeredBy = f.at;
  let flights = 0;
  let newConnections = 0;
  let firstOpen = Infinity;
  for (const c of proxy.connections()) {
    if (c.openedAt >= t0 && c.openedAt < answeredBy) {
      newConnections++;
      firstOpen = Math.min(firstOpen, c.openedAt);
    }
    for (const f of c.flights) if (f.from === "client" && f.at >= t0 && f.at < answeredBy) flights++;
  }
  const handshake = opts.tls === false ? 0 : newConnections * TLS_HANDSHAKE_CLIENT_FLIGHTS;
  const end = opts.endAt?.() ?? seen;
  return {
    ms: end - t0,
    flights,
    newConnections,
    flightsAfterTls: Math.max(0, flights - handshake),
    connectMs: firstOpen === Infinity ? null : firstOpen - t0,
  };
}

/** Waits until every connection through the proxy is closed (so a QUIT never lands in the next trial). */
export async function quiesce(proxy: FlightProxy, timeoutMs = 5000): Promise<boolean> {
  const until = performance.now() + timeoutMs;
  while (performance.now() < until) {
    if (proxy.connections().every((c) => c.closedAt !== null)) return true;
    await new Promise((r) => setTimeout(r, 5));
  }
  return false;
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
    }),
  ]);
}
