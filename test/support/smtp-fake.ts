// A scripted, in-memory SMTP peer for session tests: a Transport and Timers driven by a virtual event
// loop, so every run is deterministic. It counts client flights (a run of writes with no server reply
// delivered in between = one time the client had to wait), keeps a transcript, and takes per-command
// reply overrides, so each test changes only what it is about.
import type { SmtpClient, OutgoingMail, MailResult, SmtpError } from "../../src/smtp/client.ts";
import type { SocketHandlers, Transport } from "../../src/platform/socket.ts";
import type { Timers } from "../../src/platform/timers.ts";

export interface FakeMail {
  from: string;
  to: string[];
  /** Message bytes as received (DATA: dot-unstuffed, without the final dot line; BDAT: chunks joined). */
  data: string;
  via: "DATA" | "BDAT";
}

/** What an override returns: a reply (lines joined with CRLF by the caller), "CLOSE", "SILENT" or undefined = default. */
export type Override = (verb: string, arg: string, n: number) => string | undefined;

export interface FakeOptions {
  /** EHLO keywords offered, e.g. ["PIPELINING", "CHUNKING", "AUTH PLAIN LOGIN"]. */
  ext?: string[];
  /** Accepted AUTH credentials. */
  user?: string;
  password?: string;
  /** Greeting bytes (default "220 fake.test ESMTP\r\n"); "" = nothing (silent server). */
  greeting?: string;
  /** Per-command override; n = 1-based index of the command on this connection. */
  reply?: Override;
  /** Close the connection (no reply) when the n-th command arrives (1-based, per connection). */
  closeAt?: number;
  /** Close the first connection once it has read this many client bytes (cuts anywhere, body included). */
  closeAfterBytes?: number;
  /** Size of each data event delivered to the client (default 536, like the board). */
  chunk?: number;
  /** Make connect() throw like the board does for an unreachable host. */
  connectThrows?: boolean;
  /** Close the connection before any byte (a failed TLS handshake on the board). */
  closeBeforeGreeting?: boolean;
  /** Hold the close event that follows the client's end() until releaseClose() (a slow TLS teardown). */
  holdClose?: boolean;
}

export interface Fake {
  transport: Transport;
  timers: Timers & { pending(): number; now(): number };
  /** S:/C: lines as the server saw them (AUTH payloads as sent). */
  transcript: string[];
  /** Raw bytes the client wrote, per connection. */
  wire: string[];
  messages: FakeMail[];
  connections: number;
  /** Client flights since the last resetFlights(), not counting anything before the greeting. */
  flights: number;
  resetFlights(): void;
  /** Most bytes the client wrote at once. */
  maxWrite: number;
  /** Runs the virtual loop until nothing is left to do at the current time. */
  run(): void;
  /** Moves the virtual clock forward, firing timers and running the loop. */
  advance(ms: number): void;
  /** Sends and runs the loop until done() (advancing time through timeouts when stuck). */
  send(client: SmtpClient, mails: OutgoingMail[], maxMs?: number): { err: SmtpError | null; results: MailResult[]; calls: number };
  /** Closes the server side of the current connection (as if the server hung up while idle). */
  hangUp(): void;
  /** Queues raw bytes from the server (unsolicited). */
  push(bytes: string): void;
  /** Delivers the close events held by holdClose. */
  releaseClose(): void;
  /** Connections open at the same time, at most (a socket counts until its close event). */
  maxOpen: number;
}

const b64 = (s: string) => Buffer.from(s, "latin1").toString("base64");
const unb64 = (s: string) => Buffer.from(s, "base64").toString("latin1");

/** A mail whose body is given as pieces (each call of body() returns a fresh source). */
export function mail(from: string, to: string[], pieces: string[]): OutgoingMail {
  return {
    from,
    to,
    body: () => {
      let i = 0;
      return () => (i < pieces.length ? pieces[i++] : null);
    },
  };
}

export function createFake(o: FakeOptions = {}): Fake {
  const tasks: (() => void)[] = [];
  const held: (() => void)[] = [];
  let open = 0;
  function closed(c: { h: SocketHandlers }) {
    open--;
    c.h.close(false);
  }
  let timerList: { id: number; at: number; fn: () => void }[] = [];
  let nextTimer = 1;
  let now = 0;
  let out: (string | null)[] = []; // server bytes not yet delivered; null = the server closes
  let conn: Conn | null = null;
  let wroteSinceDelivery = false;
  let greeted = false;

  interface Conn {
    h: SocketHandlers;
    /** The server still reads. */
    open: boolean;
    /** close was delivered to the client (or it ended): writes throw. */
    closed: boolean;
    buf: string;
    mode: "line" | "data" | "bdat";
    bdatLeft: number;
    bdatLast: boolean;
    n: number;
    silent: boolean;
    authStep: "" | "plain" | "user" | "pass";
    authUser: string;
    from: string | null;
    to: string[];
    data: string;
    drainQueued: boolean;
  }

  const fake: Fake = {
    transcript: [],
    wire: [],
    messages: [],
    connections: 0,
    flights: 0,
    maxWrite: 0,
    maxOpen: 0,
    releaseClose() {
      tasks.push(...held.splice(0));
      fake.run();
    },
    resetFlights() {
      fake.flights = 0;
    },
    timers: {
      set(fn, ms) {
        const id = nextTimer++;
        timerList.push({ id, at: now + Math.max(0, ms), fn });
        return id;
      },
      clear(id) {
        // Like the board: clearTimeout(undefined) throws.
        if (id === undefined) throw new Error("clearTimeout(undefined) not allowed");
        timerList = timerList.filter((t) => t.id !== id);
      },
      pending: () => timerList.length,
      now: () => now,
    },
    transport: {
      connect(host, port, secure, h) {
        if (o.connectThrows) throw new Error("Unable to create socket");
        fake.connections++;
        open++;
        fake.maxOpen = Math.max(fake.maxOpen, open);
        fake.wire.push("");
        greeted = false;
        const c: Conn = {
          h,
          open: true,
          closed: false,
          buf: "",
          mode: "line",
          bdatLeft: 0,
          bdatLast: false,
          n: 0,
          silent: false,
          authStep: "",
          authUser: "",
          from: null,
          to: [],
          data: "",
          drainQueued: false,
        };
        conn = c;
        if (o.closeBeforeGreeting) {
          serverClose(c);
        } else {
          const g = o.greeting ?? "220 fake.test ESMTP\r\n";
          if (g) say(c, g);
        }
        return {
          write(s: string) {
            if (c.closed) throw new Error("Socket is closed");
            if (s.length === 0) return;
            fake.maxWrite = Math.max(fake.maxWrite, s.length);
            fake.wire[fake.wire.length - 1] += s;
            if (greeted && !wroteSinceDelivery) fake.flights++;
            if (o.closeAfterBytes !== undefined && fake.connections === 1) {
              const seen = fake.wire[0].length - s.length;
              const room = o.closeAfterBytes - seen;
              if (room <= s.length) {
                if (room > 0) receive(c, s.slice(0, room));
                serverClose(c);
                return;
              }
            }
            wroteSinceDelivery = true;
            if (!c.drainQueued) {
              c.drainQueued = true;
              tasks.push(() => {
                c.drainQueued = false;
                if (c.open) c.h.drain();
              });
            }
            receive(c, s);
          },
          end() {
            if (c.closed) return;
            c.closed = true;
            c.open = false;
            fake.transcript.push("C: (end)");
            out = [];
            if (o.holdClose) held.push(() => closed(c));
            else tasks.push(() => closed(c));
          },
        };
      },
    },
    run() {
      for (let guard = 0; guard < 1e6; guard++) {
        if (tasks.length) {
          tasks.shift()!();
          continue;
        }
        const due = timerList.filter((t) => t.at <= now).sort((a, b) => a.at - b.at || a.id - b.id)[0];
        if (due) {
          timerList = timerList.filter((t) => t !== due);
          due.fn();
          continue;
        }
        if (out.length && conn && !conn.closed) {
          const c = conn;
          const end = out.indexOf(null);
          const items = end < 0 ? out.splice(0) : out.splice(0, end + 1);
          const bytes = items.filter((x) => x !== null).join("");
          const size = o.chunk ?? 536;
          if (bytes) {
            wroteSinceDelivery = false;
            greeted = true;
          }
          for (let i = 0; i < bytes.length && !c.closed; i += size) c.h.data(bytes.slice(i, i + size));
          if (end >= 0 && !c.closed) {
            c.closed = true;
            tasks.push(() => closed(c));
          }
          continue;
        }
        out = [];
        return;
      }
      throw new Error("fake SMTP loop did not settle");
    },
    advance(ms) {
      const end = now + ms;
      fake.run();
      for (;;) {
        const next = timerList.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!next) break;
        now = Math.max(now, next.at);
        fake.run();
      }
      now = end;
      fake.run();
    },
    send(client, mails, maxMs = 600000) {
      let result: { err: SmtpError | null; results: MailResult[]; calls: number } | null = null;
      let calls = 0;
      client.send(mails, (err, results) => {
        calls++;
        result = { err, results, calls };
      });
      fake.run();
      let waited = 0;
      while (!result && waited < maxMs && timerList.length) {
        const next = Math.min(...timerList.map((t) => t.at));
        waited += next - now;
        fake.advance(next - now);
      }
      if (!result) throw new Error("send() never called back (" + timerList.length + " timers pending)");
      // Let a second, wrong call of done() show up.
      fake.run();
      return { ...(result as any), calls };
    },
    hangUp() {
      if (conn && !conn.closed) serverClose(conn);
      fake.run();
    },
    push(bytes) {
      out.push(bytes);
    },
  };

  function say(c: Conn, s: string) {
    if (!c.open) return;
    for (const l of s.split("\r\n")) if (l) fake.transcript.push("S: " + l.slice(0, 200));
    out.push(s);
  }
  function serverClose(c: Conn) {
    if (!c.open) return;
    c.open = false;
    fake.transcript.push("S: (close)");
    out.push(null);
  }
  function reply(c: Conn, verb: string, arg: string, def: string) {
    const r = o.reply?.(verb, arg, c.n);
    const text = r === undefined ? def : r;
    if (text === "CLOSE") return serverClose(c);
    if (text === "SILENT") {
      c.silent = true;
      return;
    }
    say(c, text.endsWith("\n") ? text : text + "\r\n");
  }
  function ehlo(): string {
    const ext = o.ext ?? [];
    const lines = ["fake.test greets you", ...ext];
    return lines.map((l, i) => "250" + (i === lines.length - 1 ? " " : "-") + l).join("\r\n");
  }
  function deliver(c: Conn, via: "DATA" | "BDAT") {
    fake.messages.push({ from: c.from ?? "", to: c.to.slice(), data: c.data, via });
    c.from = null;
    c.to = [];
    c.data = "";
  }

  function receive(c: Conn, s: string) {
    c.buf += s;
    while (c.open && !c.silent) {
      if (c.mode === "bdat") {
        if (c.buf.length < c.bdatLeft) return;
        const chunk = c.buf.slice(0, c.bdatLeft);
        c.buf = c.buf.slice(c.bdatLeft);
        c.mode = "line";
        if (c.from === null || c.to.length === 0) {
          reply(c, "BDAT", String(chunk.length), c.from === null ? "503 5.5.1 No sender" : "554 5.5.1 No valid recipients");
          continue;
        }
        c.data += chunk;
        if (c.bdatLast) {
          const r = o.reply?.("BDAT LAST", "", c.n);
          if (r === undefined || r.startsWith("2")) deliver(c, "BDAT");
          else {
            c.from = null;
            c.to = [];
            c.data = "";
          }
          reply(c, "BDAT LAST", "", r ?? "250 2.0.0 Ok: queued");
        } else reply(c, "BDAT", "", "250 2.0.0 " + chunk.length + " bytes received");
        continue;
      }
      const nl = c.buf.indexOf("\n");
      if (nl < 0) return;
      const line = c.buf.slice(0, nl + 1);
      c.buf = c.buf.slice(nl + 1);
      if (c.mode === "data") {
        if (line === ".\r\n") {
          c.mode = "line";
          const r = o.reply?.(".", "", c.n);
          if (r === undefined || r.startsWith("2")) deliver(c, "DATA");
          else {
            c.from = null;
            c.to = [];
            c.data = "";
          }
          reply(c, ".", "", r ?? "250 2.0.0 Ok: queued");
          if (r && r.startsWith("2")) {
            /* delivered above */
          }
        } else c.data += line.startsWith(".") ? line.slice(1) : line;
        continue;
      }
      const cmd = line.replace(/\r?\n$/, "");
      c.n++;
      if (o.closeAt === c.n) {
        fake.transcript.push("C: " + cmd);
        serverClose(c);
        return;
      }
      if (c.authStep) {
        fake.transcript.push("C: " + cmd);
        const step = c.authStep;
        if (step === "user") {
          c.authUser = unb64(cmd);
          c.authStep = "pass";
          reply(c, "AUTH", "pass?", "334 UGFzc3dvcmQ6");
          continue;
        }
        c.authStep = "";
        let ok: boolean;
        if (step === "pass") ok = c.authUser === o.user && unb64(cmd) === o.password;
        else ok = unb64(cmd) === "\0" + o.user + "\0" + o.password;
        reply(c, "AUTH", "result", ok ? "235 2.7.0 Authentication successful" : "535 5.7.8 Authentication credentials invalid");
        continue;
      }
      fake.transcript.push("C: " + cmd);
      const sp = cmd.indexOf(" ");
      const verb = (sp < 0 ? cmd : cmd.slice(0, sp)).toUpperCase();
      const arg = sp < 0 ? "" : cmd.slice(sp + 1);
      switch (verb) {
        case "EHLO":
          reply(c, verb, arg, ehlo());
          break;
        case "HELO":
          reply(c, verb, arg, "250 fake.test");
          break;
        case "AUTH": {
          const [mech, ir] = arg.split(" ");
          if (mech.toUpperCase() === "PLAIN") {
            if (ir) {
              const ok = unb64(ir) === "\0" + o.user + "\0" + o.password;
              reply(c, verb, arg, ok ? "235 2.7.0 Authentication successful" : "535 5.7.8 Authentication credentials invalid");
            } else {
              c.authStep = "plain";
              reply(c, verb, arg, "334 ");
            }
          } else if (mech.toUpperCase() === "LOGIN") {
            c.authStep = "user";
            reply(c, verb, arg, "334 VXNlcm5hbWU6");
          } else reply(c, verb, arg, "504 5.5.4 Unrecognized authentication type");
          break;
        }
        case "MAIL": {
          const r = o.reply?.(verb, arg, c.n);
          if (c.from !== null && r === undefined) {
            reply(c, verb, arg, "503 5.5.1 Nested MAIL command");
            break;
          }
          if (r === undefined || r.startsWith("2")) {
            c.from = arg.replace(/^FROM:<([^>]*)>.*$/i, "$1");
            c.to = [];
          }
          reply(c, verb, arg, r ?? "250 2.1.0 Ok");
          break;
        }
        case "RCPT": {
          const addr = arg.replace(/^TO:<([^>]*)>.*$/i, "$1");
          const r = o.reply?.(verb, addr, c.n);
          if (c.from === null && r === undefined) {
            reply(c, verb, addr, "503 5.5.1 Need MAIL");
            break;
          }
          if (r === undefined || r.startsWith("2")) c.to.push(addr);
          reply(c, verb, addr, r ?? "250 2.1.5 Ok");
          break;
        }
        case "DATA": {
          const r = o.reply?.(verb, arg, c.n);
          const def = c.from === null ? "503 5.5.1 Need MAIL" : c.to.length ? "354 End data with <CR><LF>.<CR><LF>" : "554 5.5.1 No valid recipients";
          const text = r ?? def;
          if (text.startsWith("354")) c.mode = "data";
          reply(c, verb, arg, text);
          break;
        }
        case "BDAT": {
          const [n, last] = arg.split(" ");
          c.mode = "bdat";
          c.bdatLeft = Number(n);
          c.bdatLast = (last ?? "").toUpperCase() === "LAST";
          break;
        }
        case "RSET":
          c.from = null;
          c.to = [];
          c.data = "";
          reply(c, verb, arg, "250 2.0.0 Ok");
          break;
        case "NOOP":
          reply(c, verb, arg, "250 2.0.0 Ok");
          break;
        case "QUIT":
          reply(c, verb, arg, "221 2.0.0 Bye");
          serverClose(c);
          break;
        default:
          reply(c, verb, arg, "502 5.5.2 Command not recognized");
      }
    }
  }

  return fake;
}

export { b64 };
