// One timed trial through the flight proxy: trigger → the client saw the server's 250, with the
// client flights (turns) the proxy counted in that window.
import { performance } from "node:perf_hooks";
import { TLS_HANDSHAKE_CLIENT_FLIGHTS, type FlightProxy } from "./flight-proxy.ts";

export interface Trial {
  ms: number;
  /** Client flights between the trigger and the 250, all connections. */
  flights: number;
  /** Connections opened in that window. */
  newConnections: number;
  /** flights minus the TLS handshake flights of the connections opened in the window. */
  flightsAfterTls: number;
}

/** Runs `trigger` (which resolves with performance.now() of the 250) and counts what happened. */
export async function trial(proxy: FlightProxy, trigger: () => Promise<number>, tls = true): Promise<Trial> {
  const t0 = performance.now();
  const t250 = await trigger();
  let flights = 0;
  let newConnections = 0;
  for (const c of proxy.connections()) {
    if (c.openedAt >= t0 && c.openedAt < t250) newConnections++;
    for (const f of c.flights) if (f.from === "client" && f.at >= t0 && f.at < t250) flights++;
  }
  const handshake = tls ? newConnections * TLS_HANDSHAKE_CLIENT_FLIGHTS : 0;
  return { ms: t250 - t0, flights, newConnections, flightsAfterTls: Math.max(0, flights - handshake) };
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
