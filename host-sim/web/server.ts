// The web page's HTTP server on 127.0.0.1: the page's static files, a JSON snapshot and live updates
// (Server-Sent Events), the actions of controls.ts, each SMTP session's transcript, and each delivered
// mail (summary, HTML part served sandboxed with a CSP that allows no script and no remote load, text,
// headers, raw source, .eml download).
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DeviceConfig } from "../../src/config.ts";
import type { SimBoard } from "../board.ts";
import type { ReceivedMail, SmtpSink } from "../smtp-sink.ts";
import { boardText, describeRules, FAULT_STEPS, InputError, runConsole, type Controls } from "./controls.ts";
import { outboxFiles, readOutboxEntry, type Journal } from "./journal.ts";

const PAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), "page");
const STATIC: Record<string, [string, string]> = {
  "/": ["index.html", "text/html; charset=utf-8"],
  "/page.js": ["page.js", "text/javascript; charset=utf-8"],
  "/page.css": ["page.css", "text/css; charset=utf-8"],
};
/** The page itself: its own script and style only. */
const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
/** A mail's HTML part: no script, no remote load of any kind (inline styles and data: images only), sandboxed. */
export const MAIL_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; sandbox";
const MAX_BODY = 64 * 1024;

export interface WebContext {
  board: SimBoard;
  sink: SmtpSink | null;
  config: DeviceConfig;
  journal: Journal;
  controls: Controls;
  runDir: string;
}

export interface WebServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

function mailSummary(m: ReceivedMail, n: number) {
  const p = m.parsed;
  const to = Array.isArray(p.to) ? p.to.map((a) => a.text).join(", ") : (p.to?.text ?? "");
  return {
    n,
    from: p.from?.text ?? m.envelope.from,
    to: to || m.envelope.to.join(", "),
    envelopeTo: m.envelope.to,
    subject: p.subject ?? "(no subject)",
    date: p.date ? p.date.toISOString() : null,
    acceptedAt: m.acceptedAt,
    size: m.raw.length,
    html: typeof p.html === "string",
    text: typeof p.text === "string",
  };
}

/** Everything the page draws except log lines, transcripts and mail bodies. */
export function snapshot(ctx: WebContext) {
  const { board, sink, journal, controls, config } = ctx;
  const s = controls.state;
  const files = outboxFiles(board);
  let notes: unknown = null;
  try {
    const raw = board.storage.readBytes("amnotes");
    if (raw) notes = JSON.parse(raw.toString("latin1"));
  } catch {
    notes = "(unreadable)";
  }
  // Each rule's last outcome as the firmware tells it (alertmail.status().rules, e.g. "held: cooldown"):
  // read as a user would on the console; nothing when the board is off or the firmware is not running.
  let results: Record<string, string> = {};
  if (s.power) {
    try {
      const st = board.eval("typeof alertmail == 'object' ? alertmail.status().rules : undefined") as Record<string, unknown> | undefined;
      if (st && typeof st === "object") results = Object.fromEntries(Object.entries(st).map(([k, v]) => [k, boardText(String(v))]));
    } catch {
      results = {};
    }
  }
  const all = sink?.messages ?? [];
  // Newest first; the newest 300 travel with every update (the rest stay reachable by number).
  const mails = all.slice(-300).map((m, i) => mailSummary(m, Math.max(0, all.length - 300) + i + 1)).reverse();
  const sessions = [...journal.sessions.values()]
    .slice(-50)
    .reverse()
    .map((x) => ({ id: x.id, start: x.start, last: x.last, closed: x.closed, lines: x.lines.length }));
  return {
    now: Date.now(),
    device: config.device.name,
    power: s.power,
    wifi: s.wifi,
    levels: s.levels,
    values: s.values,
    reads: s.reads,
    results,
    rebootAtData: s.rebootAtData,
    faults: s.faults,
    memory: board.memory(),
    boots: board.boots,
    halted: board.halted,
    errors: board.errors.slice(-5),
    outbox: { entries: files.map((f) => readOutboxEntry(board, f)), nextRetryAt: journal.nextRetryAt, notes },
    paths: journal.paths.slice(-100).reverse(),
    sessions,
    mails,
    mailCount: all.length,
  };
}

function send(res: ServerResponse, code: number, type: string, body: string | Buffer, headers: Record<string, string> = {}) {
  res.writeHead(code, { "Content-Type": type, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", ...headers });
  res.end(body);
}
const json = (res: ServerResponse, code: number, v: unknown) => send(res, code, "application/json; charset=utf-8", JSON.stringify(v));

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new InputError(`request too large (over ${MAX_BODY} bytes)`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8") || "null"));
      } catch {
        reject(new InputError("the request is not JSON"));
      }
    });
    req.on("error", reject);
  });
}

export async function startWebServer(ctx: WebContext, port: number): Promise<WebServer> {
  const { board, sink, journal, controls, config } = ctx;
  const clients = new Set<ServerResponse>();
  let pending: NodeJS.Timeout | null = null;
  const event = (name: string, data: unknown) => {
    const text = `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const c of clients) c.write(text);
  };
  /** A state event at most every 100 ms, after the change that asked for it. */
  const stateSoon = () => {
    if (pending || !clients.size) return;
    pending = setTimeout(() => {
      pending = null;
      event("state", snapshot(ctx));
    }, 100);
  };
  journal.onChange((what, line) => {
    if (what === "line") event("line", line);
    stateSoon();
  });
  const heartbeat = setInterval(() => {
    for (const c of clients) c.write(": keep-alive\n\n");
    stateSoon(); // the outbox's next retry and the memory figure move with time
  }, 5000);

  let actualPort = port;
  const hosts = () => new Set([`127.0.0.1:${actualPort}`, `localhost:${actualPort}`]);
  const mail = (n: string): ReceivedMail | null => sink?.messages[Number(n) - 1] ?? null;

  async function handle(req: IncomingMessage, res: ServerResponse) {
    // Only this machine's browser by this address: a page elsewhere cannot reach the board through DNS tricks.
    if (!hosts().has(req.headers.host ?? "")) return send(res, 421, "text/plain; charset=utf-8", "wrong Host: open the address the simulator printed\n");
    const url = new URL(req.url ?? "/", `http://${req.headers.host}`);
    const path = url.pathname;
    if (req.method === "GET" && STATIC[path]) {
      const [file, type] = STATIC[path];
      return send(res, 200, type, readFileSync(join(PAGE_DIR, file)), { "Content-Security-Policy": PAGE_CSP });
    }
    if (req.method === "GET" && path === "/favicon.ico") return send(res, 204, "image/x-icon", "");
    if (req.method === "GET" && path === "/api/board") {
      return json(res, 200, { device: config.device.name, rules: describeRules(config), faultSteps: FAULT_STEPS, runDir: ctx.runDir, smtp: sink ? `127.0.0.1:${sink.port}` : null });
    }
    if (req.method === "GET" && path === "/api/state") return json(res, 200, snapshot(ctx));
    if (req.method === "GET" && path === "/api/events") {
      res.writeHead(200, { "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-store", Connection: "keep-alive" });
      res.write(`event: hello\ndata: ${JSON.stringify({ lines: journal.lines.slice(-1000), state: snapshot(ctx) })}\n\n`);
      clients.add(res);
      req.on("close", () => clients.delete(res));
      return;
    }
    let m: RegExpExecArray | null;
    if (req.method === "GET" && (m = /^\/api\/sessions\/([\w.-]+)$/.exec(path))) {
      const s = journal.sessions.get(m[1]);
      return s ? json(res, 200, s) : json(res, 404, { error: `no SMTP session ${m[1]}` });
    }
    if (req.method === "GET" && (m = /^\/api\/mails\/(\d+)(\/html|\/eml)?$/.exec(path))) {
      const mm = mail(m[1]);
      if (!mm) return json(res, 404, { error: `no mail #${m[1]} in the inbox` });
      if (m[2] === "/html") {
        const html = typeof mm.parsed.html === "string" ? mm.parsed.html : "<p style=\"font:14px sans-serif;color:#666\">This mail has no HTML part.</p>";
        return send(res, 200, "text/html; charset=utf-8", html, { "Content-Security-Policy": MAIL_CSP, "Referrer-Policy": "no-referrer" });
      }
      if (m[2] === "/eml") {
        return send(res, 200, "message/rfc822", mm.raw, { "Content-Disposition": `attachment; filename="alertmail-${m[1].padStart(3, "0")}.eml"` });
      }
      return json(res, 200, {
        ...mailSummary(mm, Number(m[1])),
        headers: mm.parsed.headerLines.map((h) => h.line),
        textPart: typeof mm.parsed.text === "string" ? mm.parsed.text : null,
        raw: mm.raw.toString("utf8"),
        session: journal.paths.find((p) => p.mail === Number(m![1]))?.session ?? null,
      });
    }
    if (req.method === "POST" && (path === "/api/act" || path === "/api/console")) {
      // JSON only: a form on another site cannot send it without the browser asking first.
      if (!/^application\/json\b/.test(req.headers["content-type"] ?? "")) return json(res, 415, { error: "send JSON (Content-Type: application/json)" });
      const body = await readBody(req);
      if (path === "/api/console") {
        const code = body && typeof body === "object" ? (body as { code?: unknown }).code : undefined;
        const r = runConsole(board, controls.state.power, code);
        stateSoon();
        return json(res, r.error ? 400 : 200, r);
      }
      const said = controls.apply(body);
      journal.line(`web: ${said}`);
      return json(res, 200, { ok: true, said });
    }
    return json(res, 404, { error: `nothing at ${req.method} ${path}` });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const bad = e instanceof InputError;
      if (!bad) journal.line(`web: request failed: ${String(e)}`);
      if (!res.headersSent) json(res, bad ? 400 : 500, { error: bad ? e.message : `the simulator could not do that: ${String(e)}` });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  actualPort = (server.address() as AddressInfo).port;
  return {
    port: actualPort,
    url: `http://127.0.0.1:${actualPort}/`,
    close() {
      clearInterval(heartbeat);
      if (pending) clearTimeout(pending);
      for (const c of clients) c.end();
      clients.clear();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
