// Issue 17.9 at the socket level: the board's end() closes the socket itself once its data is out
// (socketserver.c; measured on the real 2v29 interpreter against TLS and plain servers that ignore the
// client's FIN: end then close(false) within ~5 ms, and a new tls.connect works at once).
import { createServer as createNetServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import { afterEach, describe, expect, it } from "vitest";
import { getSimCert } from "../../host-sim/cert.ts";
import { createNetModules, type NetHost } from "../../host-sim/net.ts";

const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  sockets.splice(0).forEach((s) => s.destroy());
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A server that greets and never closes, not even after the client's FIN. */
async function neverCloses(tls: boolean): Promise<{ port: number; fins: () => number }> {
  let fins = 0;
  const onSocket = (s: Socket) => {
    sockets.push(s);
    s.on("error", () => {});
    s.on("end", () => fins++);
    s.write("220 hello\r\n");
  };
  const cert = tls ? await getSimCert() : null;
  const srv = tls ? createTlsServer({ key: cert!.key, cert: cert!.cert, allowHalfOpen: true }, onSocket) : createNetServer({ allowHalfOpen: true }, onSocket);
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  return { port: (srv.address() as { port: number }).port, fins: () => fins };
}

function bareNet() {
  const printed: string[] = [];
  const host: NetHost = { call: (fn, args) => void fn(...args), defer: (f) => setImmediate(f), online: () => true, print: (l) => printed.push(l) };
  return { ...createNetModules(host), printed };
}

function session(m: ReturnType<typeof bareNet>, tls: boolean, port: number) {
  const sock = (tls ? m.tls : m.net).connect({ host: "127.0.0.1", port });
  const log: string[] = [];
  let greeted!: () => void;
  const greeting = new Promise<void>((r) => (greeted = r));
  const closed = new Promise<void>((r) => sock.on("close", (had: boolean) => (log.push(`close ${had}`), r())));
  sock.on("data", (d: string) => (log.push("data " + d.trim()), greeted()));
  sock.on("end", () => log.push("end"));
  sock.on("error", (e: { code: number }) => log.push(`error ${e.code}`));
  return { sock, log, greeting, closed };
}

describe("end() against a server that never closes (issue 17.9)", () => {
  for (const tls of [true, false]) {
    it(`${tls ? "TLS" : "plain"}: end() fires end then close(false) without the server's FIN, and the next connection works`, async () => {
      const srv = await neverCloses(tls);
      const m = bareNet();
      const first = session(m, tls, srv.port);
      await first.greeting;
      first.sock.write("QUIT\r\n");
      first.sock.end();
      expect(() => first.sock.write("x")).toThrow(/This socket is closed/);
      await first.closed;
      expect(first.log).toEqual(["data 220 hello", "end", "close false"]);
      expect(m.stats.open).toBe(0);
      const second = session(m, tls, srv.port);
      await second.greeting;
      expect(m.printed.join("\n")).not.toMatch(/another TLS connection is open/);
      second.sock.end();
      await second.closed;
      expect(second.log).toEqual(["data 220 hello", "end", "close false"]);
      // The FIN did go out (the server sees it and ignores it).
      for (let i = 0; i < 200 && srv.fins() < 1; i++) await new Promise((r) => setTimeout(r, 10));
      expect(srv.fins()).toBeGreaterThanOrEqual(1);
    });
  }
});
