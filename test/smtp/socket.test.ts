// The board transport (src/platform/socket.ts) over a fake Espruino net/tls module: the board's quirks
// are folded into four events.
import { describe, expect, it } from "vitest";
import { createTransport, type NetModule, type SocketHandlers } from "../../src/platform/socket.ts";

function fakeModule(opts: { throws?: string } = {}) {
  const made: { opts: unknown; on: Record<string, (...a: any[]) => void>; written: string[]; ended: number }[] = [];
  const mod: NetModule = {
    connect(o, cb) {
      if (opts.throws) throw new Error(opts.throws);
      const s = { opts: o, on: {} as Record<string, (...a: any[]) => void>, written: [] as string[], ended: 0, cb };
      made.push(s);
      return {
        on: (ev: string, fn: (...a: any[]) => void) => (s.on[ev] = fn),
        write: (d: string) => s.written.push(d),
        end: () => s.ended++,
      };
    },
  };
  return { mod, made };
}

function recorder() {
  const events: string[] = [];
  const h: SocketHandlers = {
    data: (s) => events.push("data " + s),
    drain: () => events.push("drain"),
    close: (e) => events.push("close " + e),
    error: (e) => events.push("error " + e.code + " " + e.message),
  };
  return { h, events };
}

describe("board transport", () => {
  it("uses tls for secure connections and net otherwise, with {host, port}", () => {
    const net = fakeModule();
    const tls = fakeModule();
    const t = createTransport((secure) => (secure ? tls.mod : net.mod));
    t.connect("mx.test", 465, true, recorder().h);
    t.connect("relay.lan", 25, false, recorder().h);
    expect(tls.made.map((m) => m.opts)).toEqual([{ host: "mx.test", port: 465 }]);
    expect(net.made.map((m) => m.opts)).toEqual([{ host: "relay.lan", port: 25 }]);
  });

  it("lets a synchronous connect failure through, as the board throws it", () => {
    const t = createTransport((secure) => (secure ? fakeModule().mod : fakeModule({ throws: "Unable to create socket" }).mod));
    expect(() => t.connect("h", 25, false, recorder().h)).toThrow("Unable to create socket");
  });

  it("hands data over even before the connect callback, and passes writes and end through", () => {
    const tls = fakeModule();
    const r = recorder();
    const s = createTransport((secure) => (secure ? tls.mod : fakeModule().mod)).connect("h", 465, true, r.h);
    tls.made[0].on.data("220 hi\r\n");
    s.write("EHLO x\r\n");
    tls.made[0].on.drain();
    s.end();
    expect(r.events).toEqual(["data 220 hi\r\n", "drain"]);
    expect(tls.made[0].written).toEqual(["EHLO x\r\n"]);
    expect(tls.made[0].ended).toBe(1);
  });

  it("treats the TLS close_notify error (-30848) as a normal close, and reports close once", () => {
    const tls = fakeModule();
    const r = recorder();
    createTransport((secure) => (secure ? tls.mod : fakeModule().mod)).connect("h", 465, true, r.h);
    tls.made[0].on.error({ code: -30848, message: "SSL - The peer notified us that the connection is going to be closed" });
    tls.made[0].on.close(true);
    tls.made[0].on.close(true);
    expect(r.events).toEqual(["close true"]);
  });

  it("reports other errors with their code and message", () => {
    const net = fakeModule();
    const r = recorder();
    createTransport((secure) => (secure ? fakeModule().mod : net.mod)).connect("h", 25, false, r.h);
    net.made[0].on.error({ code: -9, message: "connection reset" });
    net.made[0].on.close(true);
    expect(r.events).toEqual(["error -9 connection reset", "close true"]);
  });

  it("passes a failed handshake (end, then close(false), no error) on as a plain close", () => {
    const tls = fakeModule();
    const r = recorder();
    createTransport((secure) => (secure ? tls.mod : fakeModule().mod)).connect("h", 465, true, r.h);
    tls.made[0].on.end?.();
    tls.made[0].on.close(false);
    expect(r.events).toEqual(["close false"]);
  });
});
