// net/tls in the simulator behave like the board's: bytes on the wire, ≤ 536-byte data events,
// data before the connect callback, a clean TLS close as -30848, a failed handshake without error.
import { spawn } from "node:child_process";
import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { SimBoard } from "../../host-sim/board.ts";
import { createNetModules, isLocalPortListening, MAX_DATA_EVENT, TLS_PEER_CLOSE_NOTIFY, type NetHost } from "../../host-sim/net.ts";
import { startSmtpSink, type SmtpSink } from "../../host-sim/smtp-sink.ts";
import { bootFixture, until } from "./helpers.ts";

let board: SimBoard | undefined;
const servers: Server[] = [];
const sinks: SmtpSink[] = [];
afterEach(async () => {
  board?.stop();
  board = undefined;
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  await Promise.all(sinks.splice(0).map((s) => s.close()));
});

/** A TCP server on 127.0.0.1:0 that runs onSocket and collects every byte received. */
async function tcpServer(onSocket: (s: Socket) => void = () => {}): Promise<{ port: number; received: Promise<Buffer> }> {
  let done!: (b: Buffer) => void;
  const received = new Promise<Buffer>((r) => (done = r));
  const srv = createServer((s) => {
    const chunks: Buffer[] = [];
    s.on("data", (c: Buffer) => chunks.push(c));
    s.on("end", () => done(Buffer.concat(chunks)));
    s.on("error", () => {});
    onSocket(s);
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  return { port: (srv.address() as { port: number }).port, received };
}

/** The net emulation alone, with callbacks run at once and an event log. */
function bareNet() {
  const printed: string[] = [];
  const host: NetHost = { call: (fn, args) => void fn(...args), defer: (f) => setImmediate(f), online: () => true, print: (l) => printed.push(l) };
  return { ...createNetModules(host), printed };
}

function record(sock: { on(ev: string, fn: (...a: any[]) => void): void }): { log: string[]; closed: Promise<void> } {
  const log: string[] = [];
  sock.on("data", (d: string) => log.push(`data ${d.length}`));
  sock.on("end", () => log.push("end"));
  sock.on("error", (e: { code: number }) => log.push(`error ${e.code}`));
  const closed = new Promise<void>((r) => sock.on("close", (had: boolean) => (log.push(`close ${had}`), r())));
  return { log, closed };
}

describe("net in the simulator", () => {
  it('sends a literal "€" from a bundle built with charset utf8 as the three bytes E2 82 AC', async () => {
    const srv = await tcpServer();
    board = await bootFixture("euro-socket", { port: String(srv.port) });
    const bytes = await srv.received;
    expect(bytes).toEqual(Buffer.from([...Buffer.from("price: "), 0xe2, 0x82, 0xac, 0x0a]));
    // On the board the literal is 3 one-byte characters, the first 0xE2; fromCharCode(0x20AC) keeps 0xAC.
    await board.waitForOutput(/^fixture: wrote 226\/3 172$/, 5000);
  });

  it("delivers incoming data in events of at most 536 bytes", async () => {
    const payload = Buffer.alloc(5000, 0x61);
    const srv = await tcpServer((s) => s.end(payload));
    board = await bootFixture("data-events", { port: String(srv.port) });
    const line = await board.waitForOutput(/^fixture: sizes /, 5000);
    const sizes = line.replace("fixture: sizes ", "").split(",").map(Number);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(5000);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(MAX_DATA_EVENT);
    expect(board.netStats.maxDataEvent).toBeLessThanOrEqual(MAX_DATA_EVENT);
  });

  it("can deliver a plain server's greeting before the connect callback", async () => {
    const srv = await tcpServer((s) => s.write("220 hi\r\n"));
    const m = bareNet();
    const order: string[] = [];
    const sock = m.net.connect({ host: "127.0.0.1", port: srv.port }, () => order.push("connect"));
    sock.on("data", () => order.push("data"));
    await until(() => order.length >= 2, 5000, "data and connect");
    sock.end();
    expect(order).toEqual(["data", "connect"]);
  });

  it("reports a clean TLS close by the server as error -30848 then close(true)", async () => {
    const sink = await startSmtpSink({});
    sinks.push(sink);
    const m = bareNet();
    const sock = m.tls.connect({ host: "127.0.0.1", port: sink.port });
    const { log, closed } = record(sock);
    sock.on("data", (d: string) => d.startsWith("220") && sock.write("QUIT\r\n"));
    await closed;
    expect(log.slice(-2)).toEqual([`error ${TLS_PEER_CLOSE_NOTIFY}`, "close true"]);
    expect(log).not.toContain("end");
  });

  it("reports a failed TLS handshake as end then close(false), with no error event", async () => {
    const sink = await startSmtpSink({ tls: false });
    sinks.push(sink);
    const m = bareNet();
    const sock = m.tls.connect({ host: "127.0.0.1", port: sink.port });
    const { log, closed } = record(sock);
    await closed;
    expect(log).toEqual(["end", "close false"]);
    expect(m.printed.join()).toContain("mbedtls_ssl_handshake returned");
  });

  it("fails a second TLS connection while one is open like a failed handshake (one at a time on the ESP32)", async () => {
    const sink = await startSmtpSink({});
    sinks.push(sink);
    const m = bareNet();
    const first = m.tls.connect({ host: "127.0.0.1", port: sink.port });
    const second = m.tls.connect({ host: "127.0.0.1", port: sink.port });
    const { log, closed } = record(second);
    await closed;
    expect(log).toEqual(["end", "close false"]);
    expect(m.printed.join()).toMatch(/another TLS connection is open/);
    // Once the first is closed, a new one works.
    const firstClosed = record(first).closed;
    first.end();
    await firstClosed;
    const third = m.tls.connect({ host: "127.0.0.1", port: sink.port });
    const t = record(third);
    third.on("data", (d: string) => d.startsWith("220") && third.write("QUIT\r\n"));
    await t.closed;
    expect(t.log[0]).toMatch(/^data \d+/);
  });

  it("has no destroy, setTimeout, once or off on sockets, and throws on write after close", async () => {
    const srv = await tcpServer((s) => s.end());
    const m = bareNet();
    const sock = m.net.connect({ host: "127.0.0.1", port: srv.port }) as unknown as Record<string, unknown>;
    expect([sock.destroy, sock.setTimeout, sock.once, sock.off]).toEqual([undefined, undefined, undefined, undefined]);
    const { closed } = record(sock as never);
    await closed;
    expect(() => (sock.write as (s: string) => void)("x")).toThrow(expect.objectContaining({ type: "Error", message: "This socket is closed" }));
  });
});

describe("the simulator's synchronous 'is the port listening' check", () => {
  it("sees a server of its own process while it listens, and not once it is closed", async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const port = (srv.address() as { port: number }).port;
    expect(isLocalPortListening(port)).toBe(true);
    await new Promise((r) => srv.close(r));
    expect(isLocalPortListening(port)).toBe(false);
  });

  it("sees a server listening in another process (read from the kernel's tables), and not once it exits", async () => {
    const child = spawn(process.execPath, [
      "-e",
      'const s=require("net").createServer().listen(0,"127.0.0.1",()=>process.stdout.write(String(s.address().port)+"\\n"));process.stdin.on("end",()=>s.close()).resume()',
    ]);
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.once("data", (b: Buffer) => resolve(Number(String(b).trim())));
      child.once("error", reject);
    });
    try {
      expect(isLocalPortListening(port)).toBe(true);
    } finally {
      const exited = new Promise((r) => child.once("exit", r));
      child.stdin.end();
      await exited;
    }
    expect(isLocalPortListening(port)).toBe(false);
  });
});
