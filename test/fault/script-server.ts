// A scripted SMTP server on 127.0.0.1 (plain or implicit TLS) for the fault suite: a real server that
// speaks RFC 5321 (+ PIPELINING, CHUNKING, AUTH PLAIN/LOGIN) and lets a script replace the bytes of any
// reply at any step, close, stall, or never close after the client's FIN. It records what it really
// did: which recipients it accepted (its own RCPT replies), which messages it accepted (its own reply to
// the final dot or BDAT … LAST), every body byte that came in, and every 5xx it sent per session.
import { createServer as createNetServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import { getSimCert } from "../../host-sim/cert.ts";

/** The command a reply answers (RFC 5321 §4.1.1, RFC 4954, RFC 3030); "dot" = the end of DATA content. */
export type Step = "greeting" | "ehlo" | "helo" | "auth" | "auth-user" | "auth-pass" | "mail" | "rcpt" | "data" | "dot" | "bdat" | "bdat-last" | "rset" | "noop" | "quit" | "other";

export interface StepInfo {
  step: Step;
  /** The command line as received ("" for greeting and dot; the BDAT line for BDAT). */
  line: string;
  /** 0 = greeting, then one per command answered, in order, on this connection. */
  index: number;
  /** 1-based connection number on this server. */
  session: number;
  /** The transaction's body so far (at dot / BDAT LAST: the whole message), latin1. */
  body: string;
}

/** What to send instead of the normal reply; omit a field for the default. */
export interface Answer {
  /** Raw bytes (latin1), line endings included; "" = nothing. */
  bytes: string;
  /** After the bytes: close the connection, or never answer anything again (the socket stays open). */
  after?: "close" | "stall";
  /** What the server really decided, when it differs from the code in `bytes` (a 250 lost in flight). */
  accept?: boolean;
  /** The reply code the server means (default: the first complete reply in `bytes`), e.g. the real
   * answer when an unsolicited extra reply comes before it. */
  code?: number;
}

/** Code of the first complete reply in some bytes (its last line: "ddd" then not "-"), or 0. */
export function firstReplyCode(bytes: string): number {
  for (const l of bytes.split("\n")) {
    if (/^\d{3}(?!-)/.test(l)) return Number(l.slice(0, 3));
  }
  return 0;
}

/** Returns undefined for the normal reply (given with its line ending). */
export type Script = (s: StepInfo, normal: string) => Answer | undefined;

export interface ScriptServerOptions {
  tls: boolean;
  /** EHLO keywords after the greeting line (default PIPELINING, CHUNKING, AUTH PLAIN LOGIN, 8BITMIME). */
  ext?: string[];
  user?: string;
  password?: string;
  script?: Script;
  /** Close when the client half-closes (default true); false = a server that never closes after the client's FIN. */
  closeOnClientEnd?: boolean;
  /** Close after 221 to QUIT (default true). */
  closeAfterQuit?: boolean;
}

/** A message the server accepted: its reply to the final dot / BDAT LAST began with 2 (or accept: true). */
export interface Delivery {
  session: number;
  from: string;
  /** Recipients the server answered 2xx. */
  to: string[];
  /** Message bytes: DATA dot-unstuffed without the final dot line, or the BDAT chunks joined. */
  raw: Buffer;
}

export interface SessionRecord {
  n: number;
  /** RCPT addresses named in this session. */
  rcpts: string[];
  /** The server sent a reply line beginning with 5 (anywhere). */
  sent5xx: boolean;
  /** Each transaction (from MAIL to its end, RSET or the next MAIL): the addresses it named and whether
   * a 5xx went out during it, or during the one before (a reply out of step may land one later). */
  txns: { rcpts: string[]; sent5xx: boolean }[];
  /** Last lines of the transcript (C:/S:), for failure messages. */
  transcript: string[];
  /** The connection has closed. */
  done: boolean;
}

export interface ScriptServer {
  port: number;
  deliveries: Delivery[];
  sessions: SessionRecord[];
  /** Every body the client sent (accepted or not), to check that no garbage went out. */
  bodies: Buffer[];
  /** Replace the script (e.g. a well-behaved server after the faults). */
  setScript(s: Script | undefined): void;
  /** Connections open now. */
  open(): number;
  close(): Promise<void>;
}

const TRANSCRIPT_LINES = 60;

export async function startScriptServer(o: ScriptServerOptions): Promise<ScriptServer> {
  const ext = o.ext ?? ["PIPELINING", "CHUNKING", "AUTH PLAIN LOGIN", "8BITMIME"];
  let script = o.script;
  const deliveries: Delivery[] = [];
  const sessions: SessionRecord[] = [];
  const bodies: Buffer[] = [];
  const sockets = new Set<Socket>();

  function handle(sock: Socket) {
    sockets.add(sock);
    const rec: SessionRecord = { n: sessions.length + 1, rcpts: [], sent5xx: false, txns: [], transcript: [], done: false };
    /** The open transaction, and a 5xx that the next one inherits. */
    let txn: { rcpts: string[]; sent5xx: boolean } | null = null;
    let carry5xx = false;
    sock.on("close", () => {
      sockets.delete(sock);
      rec.done = true;
    });
    sock.on("error", () => {});
    sessions.push(rec);
    const log = (l: string) => {
      rec.transcript.push(l.length > 200 ? l.slice(0, 200) + `… (${l.length} bytes)` : l);
      if (rec.transcript.length > TRANSCRIPT_LINES) rec.transcript.shift();
    };
    let index = 0;
    let stalled = false;
    let closed = false;
    let inBuf = "";
    let mode: "cmd" | "data" | "bdat" | "auth-plain" | "auth-user" | "auth-pass" = "cmd";
    let bdatLeft = 0;
    let bdatLast = false;
    let from: string | null = null;
    let rcpts: { addr: string; ok: boolean }[] = [];
    let body = "";

    const reset = () => {
      from = null;
      rcpts = [];
      body = "";
    };
    const send = (bytes: string) => {
      if (closed || !bytes) return;
      if (bytes.split("\n").some((l) => l.charAt(0) === "5")) {
        rec.sent5xx = true;
        if (txn) txn.sent5xx = true;
        carry5xx = true;
      }
      log("S: " + bytes.replace(/\r?\n$/, "").replace(/\r\n/g, "⏎"));
      sock.write(Buffer.from(bytes, "latin1"));
    };
    const hangUp = () => {
      if (closed) return;
      closed = true;
      log("S: (close)");
      sock.end();
      setTimeout(() => sock.destroy(), 50).unref();
    };
    /** Answers one step: the script's bytes or the normal reply; returns the code decided. */
    const answer = (step: Step, line: string, normal: string): { code: number; accept?: boolean } => {
      const a = script?.({ step, line, index: index++, session: rec.n, body }, normal);
      const bytes = a ? a.bytes : normal;
      send(bytes);
      if (a?.after === "close") hangUp();
      if (a?.after === "stall") {
        stalled = true;
        log("S: (stalls)");
      }
      return { code: a?.code ?? firstReplyCode(bytes), accept: a?.accept };
    };
    const endMessage = (step: Step) => {
      const raw = Buffer.from(body, "latin1");
      bodies.push(raw);
      const r = answer(step, "", step === "dot" ? "250 2.0.0 Ok: queued\r\n" : "250 2.0.0 Ok: message queued\r\n");
      const accepted = r.accept ?? (r.code >= 200 && r.code < 300);
      const to = rcpts.filter((x) => x.ok).map((x) => x.addr);
      if (accepted && from !== null && to.length) deliveries.push({ session: rec.n, from, to, raw });
      reset();
    };

    const ehlo = () => "250-script.test\r\n" + ext.map((e, i) => `250${i === ext.length - 1 ? " " : "-"}${e}\r\n`).join("") || "250 script.test\r\n";

    function command(line: string) {
      log("C: " + line);
      const verb = line.split(" ")[0].toUpperCase();
      const arg = line.slice(verb.length + 1);
      if (mode === "auth-plain" || mode === "auth-user" || mode === "auth-pass") {
        const step: Step = mode === "auth-pass" ? "auth-pass" : mode === "auth-user" ? "auth-user" : "auth-pass";
        const next = mode === "auth-user" ? "auth-pass" : "cmd";
        const r = answer(step, line, next === "auth-pass" ? "334 UGFzc3dvcmQ6\r\n" : "235 2.7.0 Authentication successful\r\n");
        mode = r.code === 334 ? (next as typeof mode) : "cmd";
        return;
      }
      switch (verb) {
        case "EHLO":
          answer("ehlo", line, ehlo());
          return;
        case "HELO":
          answer("helo", line, "250 script.test\r\n");
          return;
        case "AUTH": {
          const plain = /^PLAIN\b/i.test(arg);
          const initial = arg.split(" ")[1];
          const r = answer("auth", line, plain ? (initial ? "235 2.7.0 Authentication successful\r\n" : "334 \r\n") : "334 VXNlcm5hbWU6\r\n");
          if (r.code === 334) mode = plain ? "auth-plain" : "auth-user";
          return;
        }
        case "MAIL": {
          txn = { rcpts: [], sent5xx: carry5xx };
          carry5xx = false;
          rec.txns.push(txn);
          const r = answer("mail", line, "250 2.1.0 Ok\r\n");
          if (r.code >= 200 && r.code < 300) {
            reset();
            from = /<([^>]*)>/.exec(arg)?.[1] ?? "";
          }
          return;
        }
        case "RCPT": {
          const addr = /<([^>]*)>/.exec(arg)?.[1] ?? "";
          rec.rcpts.push(addr);
          txn?.rcpts.push(addr);
          const r = answer("rcpt", line, from === null ? "503 5.5.1 Error: need MAIL command\r\n" : "250 2.1.5 Ok\r\n");
          rcpts.push({ addr, ok: from !== null && (r.accept ?? (r.code >= 200 && r.code < 300)) });
          return;
        }
        case "DATA": {
          const ok = from !== null && rcpts.some((x) => x.ok);
          const r = answer("data", line, ok ? "354 End data with <CR><LF>.<CR><LF>\r\n" : "554 5.5.1 Error: no valid recipients\r\n");
          if (r.code === 354) {
            mode = "data";
            body = "";
          }
          return;
        }
        case "BDAT": {
          const m = /^(\d+)( +LAST)?\s*$/i.exec(arg);
          if (!m) {
            answer("other", line, "501 5.5.4 Syntax: BDAT count [LAST]\r\n");
            return;
          }
          mode = "bdat";
          bdatLeft = Number(m[1]);
          bdatLast = !!m[2];
          return;
        }
        case "RSET":
          reset();
          answer("rset", line, "250 2.0.0 Ok\r\n");
          return;
        case "NOOP":
          answer("noop", line, "250 2.0.0 Ok\r\n");
          return;
        case "QUIT": {
          const a = script?.({ step: "quit", line, index: index++, session: rec.n, body }, "221 2.0.0 Bye\r\n");
          send(a ? a.bytes : "221 2.0.0 Bye\r\n");
          if (a?.after === "stall") stalled = true;
          else if (a?.after === "close" || o.closeAfterQuit !== false) hangUp();
          return;
        }
        default:
          answer("other", line, "502 5.5.2 Error: command not recognized\r\n");
      }
    }

    function pump() {
      while (!closed && !stalled) {
        if (mode === "bdat") {
          const n = Math.min(bdatLeft, inBuf.length);
          body += inBuf.slice(0, n);
          inBuf = inBuf.slice(n);
          bdatLeft -= n;
          if (bdatLeft > 0) return;
          mode = "cmd";
          log(`C: (BDAT chunk${bdatLast ? ", LAST" : ""})`);
          if (bdatLast) endMessage("bdat-last");
          else answer("bdat", "", "250 2.0.0 Ok: chunk received\r\n");
          continue;
        }
        const nl = inBuf.indexOf("\n");
        if (nl < 0) return;
        let line = inBuf.slice(0, nl);
        inBuf = inBuf.slice(nl + 1);
        if (line.endsWith("\r")) line = line.slice(0, -1);
        if (mode === "data") {
          if (line === ".") {
            mode = "cmd";
            log("C: (message, " + body.length + " bytes) .");
            endMessage("dot");
          } else body += (line.startsWith(".") ? line.slice(1) : line) + "\r\n";
          continue;
        }
        command(line);
      }
    }

    sock.on("data", (d: Buffer) => {
      if (closed || stalled) return;
      inBuf += d.toString("latin1");
      pump();
    });
    sock.on("end", () => {
      log("C: (FIN)");
      if (o.closeOnClientEnd !== false && !stalled) hangUp();
    });
    answer("greeting", "", "220 script.test ESMTP\r\n");
  }

  let server: Server;
  if (o.tls) {
    const cert = await getSimCert();
    server = createTlsServer({ key: cert.key, cert: cert.cert, allowHalfOpen: true }, handle);
  } else server = createNetServer({ allowHalfOpen: true }, handle);
  server.on("error", () => {});
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    deliveries,
    sessions,
    bodies,
    setScript(s) {
      script = s;
    },
    open: () => sockets.size,
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}
