// Espruino's `net` and `tls` modules emulated on Node sockets with the board's behaviour
// (docs/espruino.md §2): byte strings (latin1), data events of at most 536 bytes, connect
// failures thrown synchronously, data possibly before the connect callback, no TLS upgrade, no
// certificate check and no SNI, a clean TLS close as error -30848 then close(true), a failed
// handshake as end + close(false) with no error; end() closes the socket once its data is out,
// without waiting for the server's FIN. Sockets have on/write/end only.
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, openSync, readSync } from "node:fs";
import * as nodeNet from "node:net";
import * as nodeTls from "node:tls";
import { boardError } from "./board-error.ts";

/** Most bytes one `data` event carries on the board (lwIP TCP_MSS). */
export const MAX_DATA_EVENT = 536;
/** mbedtls MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY, what a clean TLS close by the server looks like. */
export const TLS_PEER_CLOSE_NOTIFY = -30848;
/** libs/network/socketerrors.h codes. */
export const SOCKET_ERR = { closed: -1, timeout: -3, noRoute: -4, reset: -9, noConnection: -11, sslHandshake: -13 };

/** How the emulation reaches the rest of the simulated board. */
export interface NetHost {
  /** Runs a firmware callback (the board tracks call depth and uncaught errors there). */
  call(fn: (...args: any[]) => unknown, args: unknown[]): void;
  /** Queues a host function for the board's idle loop (callbacks the board does not run at once). */
  defer(fn: () => void): void;
  /** Is WiFi up with an IP? */
  online(): boolean;
  /** A line the board prints on its console (e.g. mbedtls messages). */
  print(line: string): void;
  /** Remote (non-127.0.0.1) hosts allowed? (`npm start -- --real`). */
  allowRemote?: boolean;
  /** Hold the connect callback of plain sockets until the first data arrives (≤ 500 ms): the
   * board's order when both land in one idle-loop pass. Default true. */
  dataBeforeConnect?: boolean;
  /** TLS connections that may be open at once (default 1: each costs ~39 KB, §2). */
  maxTls?: number;
}

export interface BoardSocket {
  on(event: string, fn: (...args: any[]) => unknown): void;
  write(data: unknown): void;
  end(data?: unknown): void;
  removeAllListeners(event?: string): void;
  emit(event: string, ...args: unknown[]): void;
}

export interface NetStats {
  connects: number;
  /** Largest `data` event delivered. */
  maxDataEvent: number;
  bytesIn: number;
  bytesOut: number;
  open: number;
}

export interface NetModules {
  net: { connect(opts: unknown, cb?: () => void): BoardSocket };
  tls: { connect(opts: unknown, cb?: () => void): BoardSocket };
  /** Closes every open socket as if the network went away (WiFi down, reboot). */
  dropAll(reason: "wifi" | "reboot"): void;
  stats: NetStats;
}

const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost"]);

/** Addresses a connect to 127.0.0.1 reaches, as Node reports a listening server's address. */
const LOOPBACK_LISTEN = new Set(["127.0.0.1", "0.0.0.0", "::", "::ffff:127.0.0.1"]);
/** The same addresses as /proc/net/tcp{,6} spell them (hex, host byte order). */
const LOOPBACK_PROC = new Set([
  "0100007F", // 127.0.0.1
  "00000000", // 0.0.0.0
  "00000000000000000000000000000000", // ::
  "0000000000000000FFFF00000100007F", // ::ffff:127.0.0.1
]);
const PROC_FILES = ["/proc/net/tcp", "/proc/net/tcp6"];
const procBuf = Buffer.alloc(1 << 16);

/** Is one of this process's own (referenced) servers listening on 127.0.0.1:port? Exact and
 * ~µs: the sink, the bench proxy and test servers all run in the simulator's process. */
function inProcessListening(port: number): boolean {
  const handles = (process as unknown as { _getActiveHandles?: () => unknown[] })._getActiveHandles?.() ?? [];
  for (const h of handles) {
    if (!(h instanceof nodeNet.Server) || !h.listening) continue;
    const a = h.address();
    if (a && typeof a === "object" && a.port === port && LOOPBACK_LISTEN.has(a.address)) return true;
  }
  return false;
}

/** Does a /proc/net/tcp{,6} table have a LISTEN row for a loopback address and this port?
 * Each read() of these files costs milliseconds in some kernels (the table is generated per
 * read), so the rows are checked after every read and the file is read to its end only when
 * the port is not found: one read for a listening port, the whole file for a closed one. */
function procHasListener(file: string, port: number): boolean {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch {
    return false;
  }
  const needle = ":" + port.toString(16).toUpperCase().padStart(4, "0") + " ";
  let buf = procBuf;
  let len = 0;
  try {
    for (;;) {
      if (len === buf.length) buf = Buffer.concat([buf, Buffer.alloc(buf.length)]);
      const n = readSync(fd, buf, len, buf.length - len, null);
      if (n === 0) return false;
      len += n;
      const text = buf.toString("latin1", 0, len);
      for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
        const start = text.lastIndexOf("\n", i) + 1;
        const end = text.indexOf("\n", i);
        if (end < 0) break; // row not complete yet: the next read has it
        const cols = text.slice(start, end).trim().split(/\s+/);
        if (cols.length < 4 || cols[3] !== "0A") continue; // 0A = LISTEN
        const [addr, p] = cols[1].split(":");
        if (":" + p + " " === needle && LOOPBACK_PROC.has(addr)) return true;
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** Is something listening on 127.0.0.1:port? Answered synchronously, with no probe connection:
 * from this process's own servers, else from the kernel's socket tables in /proc. */
export function isLocalPortListening(port: number): boolean {
  if (inProcessListening(port)) return true;
  const files = PROC_FILES.filter((f) => existsSync(f));
  if (files.length === 0) return probeSync("127.0.0.1", port) === "ok";
  return files.some((f) => procHasListener(f, port));
}

/** Blocking DNS lookup + TCP connect in a child process, like the board's blocking connect. */
function probeSync(host: string, port: number): "ok" | "dns" | "refused" {
  const code = `const n=require("net"),d=require("dns");d.lookup(${JSON.stringify(host)},(e,a)=>{if(e){process.stdout.write("dns");return}const s=n.connect(${port},a,()=>{process.stdout.write("ok");s.destroy()});s.on("error",()=>process.stdout.write("refused"))})`;
  const r = spawnSync(process.execPath, ["-e", code], { timeout: 10000, encoding: "utf8" });
  const out = (r.stdout ?? "").trim();
  return out === "ok" || out === "dns" ? out : "refused";
}

function parseTarget(opts: unknown): { host: string; port: number } {
  if (typeof opts === "string") {
    const m = /^(?:[a-z]+:\/\/)?([^:/]+)(?::(\d+))?/.exec(opts);
    if (!m) throw boardError("Error", "Invalid URL");
    return { host: m[1], port: Number(m[2] ?? 80) };
  }
  if (typeof opts !== "object" || opts === null) throw boardError("TypeError", "Expecting an object or string");
  const o = opts as { host?: unknown; port?: unknown };
  return { host: String(o.host ?? "localhost"), port: Number(o.port ?? 80) };
}

/** Splits a byte string into the pieces the board hands to `data` handlers. */
export function splitForBoard(s: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.length; i += MAX_DATA_EVENT) out.push(s.slice(i, i + MAX_DATA_EVENT));
  return out;
}

export function createNetModules(host: NetHost): NetModules {
  const stats: NetStats = { connects: 0, maxDataEvent: 0, bytesIn: 0, bytesOut: 0, open: 0 };
  const live = new Set<{ drop(reason: "wifi" | "reboot"): void }>();

  let openTls = 0;

  /** A second TLS connection while one is open: the ESP32's heap cannot hold two mbedtls
   * contexts, so its handshake fails the board's way (connect, end, close(false), no error). */
  function refusedTls(cb?: () => void): BoardSocket {
    const listeners: Record<string, ((...a: any[]) => unknown)[]> = {};
    let closed = false;
    const emit = (ev: string, ...args: unknown[]) => (listeners[ev] ?? []).slice().forEach((fn) => host.call(fn, args));
    host.print("mbedtls_ssl_setup returned -0x7f00 (out of memory: another TLS connection is open; the ESP32 holds one at a time)");
    host.defer(() => {
      if (cb) host.call(cb, []);
      emit("connect");
      emit("end");
      closed = true;
      emit("close", false);
    });
    return {
      on(ev, fn) {
        if (typeof fn === "function") (listeners[ev] ??= []).push(fn);
      },
      removeAllListeners(ev) {
        if (ev === undefined) for (const k of Object.keys(listeners)) delete listeners[k];
        else delete listeners[ev];
      },
      emit,
      write() {
        if (closed) throw boardError("Error", "This socket is closed");
      },
      end() {},
    };
  }

  function connect(secure: boolean, opts: unknown, cb?: () => void): BoardSocket {
    const { host: h, port } = parseTarget(opts);
    // Every failure below is thrown synchronously, as the board does (it blocks while connecting).
    if (!host.online()) throw boardError("InternalError", "Not connected to the internet");
    if (!Number.isInteger(port) || port <= 0 || port > 65535) throw boardError("InternalError", "Unable to create socket");
    if (LOCAL_HOSTS.has(h) || h.startsWith("127.")) {
      if (!isLocalPortListening(port)) throw boardError("InternalError", "Unable to create socket");
    } else {
      if (!host.allowRemote) throw boardError("InternalError", "Unable to locate host");
      const r = probeSync(h, port);
      if (r === "dns") throw boardError("InternalError", "Unable to locate host");
      if (r === "refused") throw boardError("InternalError", "Unable to create socket");
    }
    if (secure && openTls >= (host.maxTls ?? 1)) return refusedTls(cb);
    stats.connects++;
    stats.open++;
    if (secure) openTls++;

    const listeners: Record<string, ((...a: any[]) => unknown)[]> = {};
    let closed = false; // close delivered to the firmware
    let endedByUs = false;
    let connected = false; // connect callback delivered
    let tcpUp = false;
    let handshakeDone = !secure;
    let remoteEnded = false;
    let sawError = false;
    let pendingWrites = 0;
    let connectTimer: NodeJS.Timeout | null = null;

    const emit = (ev: string, ...args: unknown[]) => {
      (listeners[ev] ?? []).slice().forEach((fn) => host.call(fn, args));
    };
    const deliverConnect = () => {
      if (connected || closed) return;
      connected = true;
      if (connectTimer) clearTimeout(connectTimer);
      connectTimer = null;
      if (cb) host.call(cb, []);
      emit("connect");
    };
    const deliverClose = (hadError: boolean) => {
      if (closed) return;
      closed = true;
      stats.open--;
      if (secure) openTls--;
      live.delete(entry);
      if (connectTimer) clearTimeout(connectTimer);
      host.defer(() => emit("close", hadError));
    };

    /** Our end() has flushed: the board's side of the connection is gone, whatever the server does. */
    const closeLocally = () => {
      if (closed) return;
      nodeSock.destroy();
      host.defer(() => emit("end"));
      deliverClose(false);
    };

    const nodeSock: nodeNet.Socket = secure
      ? nodeTls.connect({
          host: LOCAL_HOSTS.has(h) ? "127.0.0.1" : h,
          port,
          rejectUnauthorized: false, // the board never verifies (network.c: MBEDTLS_SSL_VERIFY_NONE)
          servername: "", // no SNI
          maxVersion: "TLSv1.2",
        })
      : nodeNet.connect({ host: LOCAL_HOSTS.has(h) ? "127.0.0.1" : h, port });
    nodeSock.setNoDelay(true);

    nodeSock.on("connect", () => {
      tcpUp = true;
      // TCP is up. TLS: the board calls back here, before the handshake (writes wait for it).
      if (secure || host.dataBeforeConnect === false) return host.defer(deliverConnect);
      connectTimer = setTimeout(deliverConnect, 500);
    });
    if (secure) (nodeSock as nodeTls.TLSSocket).on("secureConnect", () => (handshakeDone = true));
    nodeSock.on("data", (chunk: Buffer) => {
      if (closed) return;
      const s = chunk.toString("latin1");
      stats.bytesIn += s.length;
      for (const piece of splitForBoard(s)) {
        stats.maxDataEvent = Math.max(stats.maxDataEvent, piece.length);
        emit("data", piece); // the board runs data handlers at once
      }
      // Data landed first; the queued connect callback follows.
      if (!connected) host.defer(deliverConnect);
    });
    nodeSock.on("end", () => {
      remoteEnded = true;
    });
    nodeSock.on("error", (e: NodeJS.ErrnoException) => {
      if (closed) return;
      sawError = true;
      if (secure && !handshakeDone) {
        // mbedtls prints this and reports no error event: end, then close(false).
        host.print(`mbedtls_ssl_handshake returned -0x7280 (${e.code ?? e.message})`);
        return;
      }
      host.defer(() => emit("error", { code: e.code === "ECONNRESET" ? SOCKET_ERR.reset : SOCKET_ERR.closed, message: e.code === "ECONNRESET" ? "connection reset" : "connection closed" }));
    });
    nodeSock.on("close", () => {
      if (closed) return;
      if (secure && !handshakeDone) {
        if (!sawError) host.print("mbedtls_ssl_handshake returned -0x7280");
        if (tcpUp) deliverConnect();
        host.defer(() => emit("end"));
        return deliverClose(false);
      }
      if (!connected && tcpUp) deliverConnect();
      if (sawError) return deliverClose(true);
      if (secure && remoteEnded && !endedByUs) {
        host.defer(() => emit("error", { code: TLS_PEER_CLOSE_NOTIFY, message: "SSL - The peer notified us that the connection is going to be closed" }));
        return deliverClose(true);
      }
      if (remoteEnded) host.defer(() => emit("end"));
      deliverClose(false);
    });

    const entry = {
      drop(reason: "wifi" | "reboot") {
        if (closed) return;
        nodeSock.destroy();
        if (reason === "reboot") {
          closed = true; // nobody is left to hear it
          stats.open--;
          if (secure) openTls--;
          live.delete(entry);
          return;
        }
        host.defer(() => emit("error", { code: SOCKET_ERR.noConnection, message: "no connection" }));
        deliverClose(true);
      },
    };
    live.add(entry);

    const sock: BoardSocket = {
      on(ev, fn) {
        if (typeof fn !== "function") return;
        (listeners[ev] ??= []).push(fn);
      },
      removeAllListeners(ev) {
        if (ev === undefined) for (const k of Object.keys(listeners)) delete listeners[k];
        else delete listeners[ev];
      },
      emit(ev, ...args) {
        emit(ev, ...args);
      },
      write(data) {
        if (closed || endedByUs) throw boardError("Error", "This socket is closed"); // socketserver.c
        const s = typeof data === "string" ? data : String(data);
        if (s.length === 0) return;
        // The board keeps only the low byte of each character (strings are bytes).
        const bytes = Buffer.from(s, "latin1");
        stats.bytesOut += bytes.length;
        pendingWrites++;
        nodeSock.write(bytes, () => {
          pendingWrites--;
          if (pendingWrites === 0 && !closed) host.defer(() => emit("drain"));
        });
      },
      end(data) {
        if (closed || endedByUs) return;
        if (data !== undefined) sock.write(data);
        endedByUs = true;
        // The board does not wait for the server's FIN: once what was written has gone out, it
        // closes the socket itself and fires end then close(false) (socketserver.c: clientRequestEnd
        // sets "close after all data sent", then _socketConnectionKill and the forced onEnd). Measured
        // on the real interpreter: end + close(false) ~5 ms after end(), with a TLS or plain server
        // that never closes, and a new tls.connect works at once.
        nodeSock.end((err?: Error | null) => {
          if (!err) closeLocally(); // an error: its own close(true) follows
        });
      },
    };
    return sock;
  }

  return {
    net: { connect: (o: unknown, cb?: () => void) => connect(false, o, cb) },
    tls: { connect: (o: unknown, cb?: () => void) => connect(true, o, cb) },
    dropAll(reason) {
      [...live].forEach((s) => s.drop(reason));
    },
    stats,
  };
}
