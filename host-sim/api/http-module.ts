// Espruino's `http` module (client side) emulated over the simulator's own net/tls sockets, so 536-byte
// data events, one TLS session at a time, WiFi drops and connect failures thrown synchronously all apply.
// Behaviour from libs/network/socketserver.c (2v29), checked against the real interpreter: the request head
// is "METHOD path HTTP/1.1", "User-Agent: Espruino 2v29", "Connection: close", the headers given, then
// Host (with ":port" unless 80) when none was given; the first write connects; `drain` fires on the request
// when everything written was sent (never after end()); the callback gets the response once its headers are
// in, with statusCode as a STRING; a close before any header is an `error` {code: -15, "no response"}; a
// close with content still due is an error too; after a whole response over TLS the server's clean close
// arrives as error -30848 on the request, then `close(true)` on the response. Not emulated: request bodies
// framed by a "Transfer-Encoding: chunked" header (the firmware sends Content-Length), read()/pipe(), and the
// board's header parser reading body lines that hold a ":" as headers (it scans the whole first packet).
import { boardError } from "../board-error.ts";
import type { BoardSocket } from "../net.ts";

export interface HttpHost {
  /** The simulator's net/tls connect (throws synchronously like the board). */
  connect(secure: boolean, opts: { host: string; port: number }): BoardSocket;
  /** Runs a firmware callback (call depth, uncaught errors). */
  call(fn: (...args: any[]) => unknown, args: unknown[]): void;
  /** Queues a host function for the board's idle loop. */
  defer(fn: () => void): void;
}

/** socketerrors.h */
const NO_RESPONSE = { code: -15, message: "no response" };
const CLOSED = { code: -1, message: "connection closed" };
const TLS_CLOSE_NOTIFY = -30848;

type Listener = (...a: any[]) => unknown;

function emitter() {
  const ls: Record<string, Listener[]> = {};
  return {
    on(ev: string, fn: Listener) {
      if (typeof fn === "function") (ls[ev] ??= []).push(fn);
    },
    fire(host: HttpHost, ev: string, ...args: unknown[]) {
      (ls[ev] ?? []).slice().forEach((fn) => host.call(fn, args));
    },
    has(ev: string) {
      return (ls[ev] ?? []).length > 0;
    },
  };
}

/** Parses "HTTP/1.1 200 OK\r\nA: b\r\n…" into the board's shape (header values as strings). */
function parseHead(head: string): { statusCode: string; statusMessage: string; httpVersion: string; headers: Record<string, string> } {
  const lines = head.split("\r\n");
  const first = lines[0];
  const s1 = first.indexOf(" ");
  const s2 = first.indexOf(" ", s1 + 1);
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const c = l.indexOf(":");
    if (c > 0) headers[l.slice(0, c)] = l.slice(c + 1).trim();
  }
  return {
    httpVersion: first.slice(5, s1),
    statusCode: first.slice(s1 + 1, s2 < 0 ? undefined : s2),
    statusMessage: s2 < 0 ? "" : first.slice(s2 + 1),
    headers,
  };
}

export function createHttpModule(host: HttpHost) {
  function request(options: unknown, cb?: Listener) {
    if (typeof options !== "object" || options === null) throw boardError("Error", "Expecting Options to be an Object");
    const o = options as { protocol?: unknown; host?: unknown; port?: unknown; path?: unknown; method?: unknown; headers?: Record<string, unknown> };
    const secure = o.protocol === "https:";
    const hostName = o.host === undefined ? "127.0.0.1" : String(o.host);
    const port = Number(o.port) || (secure ? 443 : 80);
    const reqEv = emitter();
    const resEv = emitter();
    let sock: BoardSocket | null = null;
    let started = false;
    let wantClose = false;
    let closed = false;
    let pending = 0; // writes not yet drained by the socket
    let head: ReturnType<typeof parseHead> | null = null;
    let buf = ""; // received bytes not handed out yet
    let toReceive = 0; // Content-Length left (or 1 while chunked and not at the last chunk)
    let chunked = false;
    let ended = false;
    let res: Record<string, unknown> | null = null;

    function headBytes(): string {
      const method = String(o.method ?? "GET");
      let s = `${method} ${String(o.path ?? "/")} HTTP/1.1\r\nUser-Agent: Espruino 2v29\r\nConnection: close\r\n`;
      const hs = o.headers && typeof o.headers === "object" ? o.headers : {};
      let hasHost = false;
      for (const k of Object.keys(hs)) {
        if (k === "Host") hasHost = true;
        s += `${k}: ${String(hs[k])}\r\n`;
      }
      if (!hasHost) s += Number(o.port) > 0 && Number(o.port) !== 80 ? `Host: ${hostName}:${Number(o.port)}\r\n` : `Host: ${hostName}\r\n`;
      return s + "\r\n";
    }

    function finish(err: { code: number; message: string } | null) {
      if (closed) return;
      closed = true;
      host.defer(() => {
        if (err) reqEv.fire(host, "error", { code: err.code, message: err.message });
        if (!ended) {
          ended = true;
          resEv.fire(host, "end");
        }
        resEv.fire(host, "close", !!err);
      });
    }

    function push() {
      if (!head) {
        const i = buf.indexOf("\r\n\r\n");
        if (i < 0) return;
        head = parseHead(buf.slice(0, i));
        buf = buf.slice(i + 4);
        const te = Object.keys(head.headers).find((k) => k.toLowerCase() === "transfer-encoding");
        chunked = !!te && head.headers[te].toLowerCase() === "chunked";
        const cl = Object.keys(head.headers).find((k) => k.toLowerCase() === "content-length");
        toReceive = chunked ? 1 : cl ? parseInt(head.headers[cl], 10) || 0 : 0;
        res = { ...head, on: (ev: string, fn: Listener) => resEv.on(ev, fn) };
        const r = res;
        host.defer(() => {
          if (cb) host.call(cb, [r]);
        });
      }
      let out = "";
      if (chunked) {
        for (;;) {
          const nl = buf.indexOf("\r\n");
          if (nl < 0) break;
          const n = parseInt(buf.slice(0, nl), 16);
          if (!n) {
            toReceive = 0;
            buf = "";
            break;
          }
          if (buf.length < nl + 2 + n + 2) break;
          out += buf.slice(nl + 2, nl + 2 + n);
          buf = buf.slice(nl + 2 + n + 2);
        }
      } else {
        out = buf;
        buf = "";
        toReceive -= out.length;
      }
      if (out) {
        const d = out;
        host.defer(() => resEv.fire(host, "data", d));
      }
      if (head && toReceive <= 0 && !ended) {
        ended = true;
        host.defer(() => resEv.fire(host, "end"));
      }
    }

    function connect() {
      // Throws synchronously (Unable to create socket / locate host / Not connected), as the board does.
      const s = host.connect(secure, { host: hostName, port });
      sock = s;
      s.on("data", (d: string) => {
        buf += d;
        push();
      });
      s.on("drain", () => {
        pending = 0;
        if (!wantClose && !closed) reqEv.fire(host, "drain");
      });
      s.on("error", (e: { code: number; message: string }) => {
        if (closed) return;
        if (e.code === TLS_CLOSE_NOTIFY) {
          // The board reports the server's clean TLS close as an error on the request, whatever came before.
          closed = true;
          host.defer(() => {
            reqEv.fire(host, "error", { code: e.code, message: "unknown error" });
            if (!ended) {
              ended = true;
              resEv.fire(host, "end");
            }
          });
          return;
        }
        finish(head ? { code: e.code, message: e.message } : NO_RESPONSE);
      });
      s.on("close", (hadError: boolean) => {
        if (closed) {
          host.defer(() => resEv.fire(host, "close", true));
          return;
        }
        if (!head) return finish(NO_RESPONSE);
        if (toReceive > 0) return finish(CLOSED);
        finish(hadError ? CLOSED : null);
      });
    }

    function write(data?: unknown) {
      if (closed || (wantClose && started)) throw boardError("Error", "This socket is closed");
      let s = "";
      if (!started) {
        started = true;
        s = headBytes();
        connect();
      }
      if (data !== undefined && data !== null) s += String(data);
      if (s && sock) {
        pending++;
        sock.write(s);
      }
      return false;
    }

    const req = {
      on: (ev: string, fn: Listener) => reqEv.on(ev, fn),
      write: (d: unknown) => write(d),
      end: (d?: unknown) => {
        if (!started || d !== undefined) write(d);
        wantClose = true;
      },
    };
    void pending;
    return req;
  }
  return { request };
}
