// The embedded HTTPS API server: one provider's send endpoint (providers.ts) on 127.0.0.1 with the
// simulator's certificate. A request the provider would accept becomes an RFC 5322 message kept like the
// SMTP sink keeps its mails (same ReceivedMail, same NNN.eml files), so both transports fill one inbox.
// Faults answer the provider's own error shape for a status, or drop the connection.
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { join } from "node:path";
import { simpleParser } from "mailparser";
import { getSimCert } from "../cert.ts";
import type { ReceivedMail } from "../smtp-sink.ts";
import { createProvider, type Answer, type ApiMail, type Mailbox, type ProviderName, type ProviderOptions } from "./providers.ts";

export interface ApiFault {
  /** Answer with this status and the provider's error body for it (message optional)… */
  status?: number;
  message?: string;
  /** …or close the connection once the request is in, without an answer. */
  drop?: boolean;
  /** How many requests it hits (default 1; Infinity = every one). */
  times?: number;
}

export interface ApiSinkOptions extends ProviderOptions {
  provider: ProviderName;
  /** false: plain HTTP (to measure the board without TLS); default true. */
  tls?: boolean;
  /** Folder for one .eml per accepted mail; `firstIndex` numbers them after the SMTP sink's. */
  dir?: string;
  faults?: ApiFault[];
  onMessage?: (m: ReceivedMail) => void;
  /** Next .eml number (shared inbox with the SMTP sink): called per mail. */
  nextIndex?: () => number;
  log?: (line: string) => void;
}

export interface ApiRequestRecord {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Raw body bytes (UTF-8 as sent). */
  body: Buffer;
  status: number;
  /** Received in how many TCP data events (not the board's 536-byte ones: the server's side). */
  answer: unknown;
}

export interface ApiSink {
  port: number;
  provider: ProviderName;
  messages: ReceivedMail[];
  /** Every request, in order, with the status it got ("drop" = 0). */
  requests: ApiRequestRecord[];
  inject(f: ApiFault): void;
  clearFaults(): void;
  waitForMessages(n: number, timeoutMs: number): Promise<ReceivedMail[]>;
  waitForRequests(n: number, timeoutMs: number): Promise<ApiRequestRecord[]>;
  close(): Promise<void>;
}

/** RFC 2047 encoded-word for non-ASCII header text. */
function word(s: string): string {
  return /^[\x20-\x7e]*$/.test(s) ? s : `=?UTF-8?B?${Buffer.from(s, "utf8").toString("base64")}?=`;
}
function box(b: Mailbox): string {
  if (!b.name) return b.address;
  const ascii = /^[\x20-\x7e]*$/.test(b.name);
  return `${ascii ? JSON.stringify(b.name) : word(b.name)} <${b.address}>`;
}
function b64(s: string): string {
  return (Buffer.from(s, "utf8").toString("base64").match(/.{1,76}/g) ?? []).join("\r\n");
}

/** The mail a provider would send for an accepted request (its own Message-ID unless one was given). */
export function toRfc5322(m: ApiMail, id: string, provider: string): Buffer {
  const h: string[] = [`From: ${box(m.from)}`, `To: ${m.to.map(box).join(", ")}`];
  if (m.cc.length) h.push(`Cc: ${m.cc.map(box).join(", ")}`);
  h.push(`Subject: ${word(m.subject)}`, `Date: ${new Date().toUTCString().replace("GMT", "+0000")}`);
  const given = Object.keys(m.headers).find((k) => k.toLowerCase() === "message-id");
  h.push(`Message-ID: ${given ? m.headers[given] : `<${id}@${provider}.sim>`}`);
  for (const [k, v] of Object.entries(m.headers)) if (k.toLowerCase() !== "message-id") h.push(`${k}: ${word(v)}`);
  h.push(`X-Sent-Through: ${provider} API (alertmail simulator)`, "MIME-Version: 1.0");
  const part = (type: string, s: string) => `Content-Type: text/${type}; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64(s)}\r\n`;
  let body: string;
  if (m.text !== undefined && m.html !== undefined) {
    const b = "=_api_alt";
    h.push(`Content-Type: multipart/alternative; boundary="${b}"`);
    body = `\r\n--${b}\r\n${part("plain", m.text)}--${b}\r\n${part("html", m.html)}--${b}--\r\n`;
    return Buffer.from(h.join("\r\n") + "\r\n" + body, "latin1");
  }
  const html = m.html !== undefined;
  h.push(`Content-Type: text/${html ? "html" : "plain"}; charset=utf-8`, "Content-Transfer-Encoding: base64");
  body = `\r\n${b64(html ? m.html! : m.text ?? "")}\r\n`;
  return Buffer.from(h.join("\r\n") + "\r\n" + body, "latin1");
}

export async function startApiSink(opts: ApiSinkOptions): Promise<ApiSink> {
  const provider = createProvider(opts.provider, opts);
  const cert = await getSimCert();
  const messages: ReceivedMail[] = [];
  const requests: ApiRequestRecord[] = [];
  const faults: ApiFault[] = [...(opts.faults ?? [])];
  const waiters: (() => void)[] = [];
  const idempotent = new Map<string, Answer>();
  const sockets = new Set<Socket>();
  const log = opts.log ?? (() => {});
  if (opts.dir) mkdirSync(opts.dir, { recursive: true });
  let n = 0;

  const handler = (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (d: Buffer) => chunks.push(d));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const rec: ApiRequestRecord = { method: req.method ?? "", path: req.url ?? "", headers: { ...req.headers }, body, status: 0, answer: undefined };
      requests.push(rec);
      const answer = (a: Answer) => {
        rec.status = a.status;
        rec.answer = a.body;
        log(`${provider.name} ${req.method} ${req.url} → ${a.status}`);
        if (a.body === undefined) res.writeHead(a.status).end();
        else if (typeof a.body === "string") res.writeHead(a.status, { "Content-Type": "text/plain; charset=utf-8" }).end(a.body);
        else res.writeHead(a.status, { "Content-Type": "application/json; charset=utf-8" }).end(JSON.stringify(a.body));
        waiters.splice(0).forEach((w) => w());
      };
      if (req.url !== provider.path) return answer({ status: 404, body: provider.error(404, `not found: ${req.url}`).body });
      if (req.method !== "POST") return answer(provider.error(405, "method not allowed"));
      const f = faults[0];
      if (f) {
        f.times = (f.times ?? 1) - 1;
        if (f.times <= 0) faults.shift();
        if (f.drop) {
          log(`${provider.name} ${req.url}: connection dropped (fault)`);
          req.socket.destroy();
          waiters.splice(0).forEach((w) => w());
          return;
        }
        return answer(provider.error(f.status ?? 500, f.message));
      }
      const key = String(req.headers["idempotency-key"] ?? "");
      if (opts.provider === "resend" && key && idempotent.has(key)) return answer(idempotent.get(key)!);
      const r = provider.accept({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body });
      if ("status" in r) return answer(r);
      const id = `${Date.now().toString(36)}-${++n}`;
      const raw = toRfc5322(r, id, provider.name);
      simpleParser(raw, { skipImageLinks: true }).then((parsed) => {
        const m: ReceivedMail = {
          envelope: { from: r.from.address, to: [...r.to, ...r.cc, ...r.bcc].map((b) => b.address) },
          raw,
          parsed,
          acceptedAt: Date.now(),
          user: provider.name,
          secure: true,
        };
        if (opts.dir) {
          const i = opts.nextIndex ? opts.nextIndex() : messages.length + 1;
          m.emlPath = join(opts.dir, `${String(i).padStart(3, "0")}.eml`);
          writeFileSync(m.emlPath, raw);
        }
        messages.push(m);
        const a = provider.success(r, id);
        if (key) idempotent.set(key, a);
        opts.onMessage?.(m);
        answer(a);
      }, (e: Error) => answer(provider.error(500, `simulator could not parse the mail: ${e.message}`)));
    });
  };
  const server: Server = (opts.tls === false ? createHttpServer(handler) : createServer({ key: cert.key, cert: cert.cert, maxVersion: "TLSv1.2" }, handler)) as Server;
  server.on(opts.tls === false ? "connection" : "secureConnection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  const waitFor = <T>(what: string, n: number, list: T[], timeoutMs: number) =>
    new Promise<T[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`api sink: ${list.length} of ${n} ${what} after ${timeoutMs} ms`)), timeoutMs);
      const check = () => {
        if (list.length >= n) {
          clearTimeout(timer);
          resolve(list.slice(0, n));
        } else waiters.push(check);
      };
      check();
    });

  return {
    port,
    provider: opts.provider,
    messages,
    requests,
    inject(f) {
      faults.push(f);
    },
    clearFaults() {
      faults.splice(0);
    },
    waitForMessages: (k, t) => waitFor("message(s)", k, messages, t),
    waitForRequests: (k, t) => waitFor("request(s)", k, requests, t),
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
