// What each provider's send endpoint checks and answers, as its public documentation says: path, method,
// authentication, content type, required fields, the success body and the error shapes. The embedded API
// server (api-sink.ts) runs one of these; a request that passes becomes a plain mail for the inbox.
import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

export type ProviderName = "postmark" | "mailtrap" | "sendgrid" | "mailgun" | "resend" | "generic";

export interface Mailbox {
  name: string;
  address: string;
}

/** A request the provider accepted, as the mail it sends. */
export interface ApiMail {
  from: Mailbox;
  to: Mailbox[];
  cc: Mailbox[];
  bcc: Mailbox[];
  subject: string;
  text?: string;
  html?: string;
  headers: Record<string, string>;
}

export interface Answer {
  status: number;
  /** JSON value (sent as application/json) or text (text/plain); undefined = empty body. */
  body?: unknown;
}

export interface ProviderRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body bytes. */
  body: Buffer;
}

export interface Provider {
  name: ProviderName;
  /** The path the preset posts to (the mock answers 404 elsewhere). */
  path: string;
  /** A mail, or the answer the provider gives to this request. */
  accept(r: ProviderRequest): ApiMail | Answer;
  success(m: ApiMail, id: string): Answer;
  /** The provider's error answer for a status (used by injected faults and by its own checks). */
  error(status: number, message?: string): Answer;
}

export interface ProviderOptions {
  /** The key the preset must present. */
  key: string;
  /** mailgun: the sending domain in the path. */
  domain?: string;
  /** generic: path and the exact auth header line ("Name: value"). */
  path?: string;
  header?: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const ADDR = /^[^\s@<>",]+@[^\s@<>",]+$/;

/** "Name <a@b>", "\"Name\" <a@b>" or "a@b". */
export function parseMailboxString(s: string): Mailbox | null {
  const m = /^\s*(?:"((?:[^"\\]|\\.)*)"|([^<"]*?))\s*<([^>]+)>\s*$/.exec(s);
  if (m) return ADDR.test(m[3]) ? { name: (m[1] ?? m[2] ?? "").replace(/\\(.)/g, "$1"), address: m[3] } : null;
  return ADDR.test(s.trim()) ? { name: "", address: s.trim() } : null;
}

/** Comma-separated mailboxes (commas inside quotes kept). */
function splitList(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  let q = false;
  for (const ch of s) {
    if (ch === '"') q = !q;
    if (ch === "," && !q) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur);
  return out;
}

function parseJson(r: ProviderRequest): unknown {
  // Providers decode the body as UTF-8 (RFC 8259 §8.1).
  return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(r.body));
}

function contentType(r: ProviderRequest): string {
  return String(r.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
}

function bearer(r: ProviderRequest): string | undefined {
  const m = /^Bearer\s+(.+)$/i.exec(String(r.headers.authorization ?? ""));
  return m ? m[1] : undefined;
}

/** A list of {email, name} objects, or an error message. */
function objectList(v: unknown, field: string, required: boolean): Mailbox[] | string {
  if (v === undefined && !required) return [];
  if (!Array.isArray(v) || (required && v.length === 0)) return `'${field}' must be a non-empty array`;
  const out: Mailbox[] = [];
  for (const x of v) {
    if (!isObj(x) || typeof x.email !== "string" || !ADDR.test(x.email)) return `'${field}' has an invalid address`;
    out.push({ name: typeof x.name === "string" ? x.name : "", address: x.email });
  }
  return out;
}

/** "a, B <b>" strings (or arrays of them), or an error message. */
function stringList(v: unknown, field: string, required: boolean): Mailbox[] | string {
  if (v === undefined && !required) return [];
  const items = typeof v === "string" ? splitList(v) : Array.isArray(v) && v.every((x) => typeof x === "string") ? (v as string[]) : null;
  if (!items || (required && items.length === 0)) return `Invalid '${field}' address`;
  const out: Mailbox[] = [];
  for (const s of items) {
    const b = parseMailboxString(s);
    if (!b) return `Invalid '${field}' address: '${s}'`;
    out.push(b);
  }
  return out;
}

function postmark(o: ProviderOptions): Provider {
  const error = (status: number, message?: string): Answer => {
    // postmarkapp.com/developer/api/overview#error-codes: {ErrorCode, Message}.
    if (status === 401) return { status, body: { ErrorCode: 10, Message: message ?? "The Server Token you provided in the X-Postmark-Server-Token request header was invalid. Please verify that you are using a valid token." } };
    if (status === 422) return { status, body: { ErrorCode: 300, Message: message ?? "Invalid email request" } };
    if (status === 429) return { status, body: { ErrorCode: 429, Message: message ?? "Rate limit exceeded" } };
    if (status >= 500) return { status, body: { ErrorCode: 100, Message: message ?? "Maintenance" } };
    return { status, body: { ErrorCode: status, Message: message ?? "Error" } };
  };
  return {
    name: "postmark",
    path: "/email",
    error,
    accept(r) {
      if (!r.headers["x-postmark-server-token"] || r.headers["x-postmark-server-token"] !== o.key) return error(401);
      if (contentType(r) !== "application/json") return error(415, "Content-Type must be application/json");
      let j: unknown;
      try {
        j = parseJson(r);
      } catch {
        return { status: 422, body: { ErrorCode: 402, Message: "Received invalid JSON input." } };
      }
      if (!isObj(j)) return { status: 422, body: { ErrorCode: 402, Message: "Received invalid JSON input." } };
      const from = typeof j.From === "string" ? parseMailboxString(j.From) : null;
      if (!from) return error(422, `Invalid 'From' address: '${String(j.From)}'.`);
      const to = stringList(j.To, "To", true);
      const cc = stringList(j.Cc, "Cc", false);
      const bcc = stringList(j.Bcc, "Bcc", false);
      for (const l of [to, cc, bcc]) if (typeof l === "string") return error(422, l);
      if (typeof j.TextBody !== "string" && typeof j.HtmlBody !== "string") return error(422, "Provide either email TextBody or HtmlBody or both.");
      if (j.Headers !== undefined && (!Array.isArray(j.Headers) || !j.Headers.every((h) => isObj(h) && typeof h.Name === "string" && typeof h.Value === "string"))) {
        return error(422, "The 'Headers' field must be an array of {Name, Value}.");
      }
      const headers: Record<string, string> = {};
      for (const h of (j.Headers ?? []) as { Name: string; Value: string }[]) headers[h.Name] = h.Value;
      return { from, to: to as Mailbox[], cc: cc as Mailbox[], bcc: bcc as Mailbox[], subject: String(j.Subject ?? ""), text: j.TextBody as string | undefined, html: j.HtmlBody as string | undefined, headers };
    },
    success(m, id) {
      return { status: 200, body: { To: m.to.map((b) => b.address).join(", "), SubmittedAt: new Date().toISOString(), MessageID: id, ErrorCode: 0, Message: "OK" } };
    },
  };
}

function mailtrap(o: ProviderOptions): Provider {
  // Mailtrap sending API: {success: false, errors: [..]}.
  const error = (status: number, message?: string): Answer => ({
    status,
    body: { success: false, errors: [message ?? (status === 401 ? "Unauthorized" : status === 429 ? "Too many requests" : status >= 500 ? "Internal Server Error" : "Unprocessable Entity")] },
  });
  return {
    name: "mailtrap",
    // /api/send, or /api/send/<inbox id> on the sandbox host.
    path: o.path && o.path.startsWith("/api/send") ? o.path : "/api/send",
    error,
    accept(r) {
      const token = bearer(r) ?? r.headers["api-token"];
      if (token !== o.key) return error(401);
      if (contentType(r) !== "application/json") return error(400, "Content-Type must be application/json");
      let j: unknown;
      try {
        j = parseJson(r);
      } catch {
        return error(400, "Invalid JSON");
      }
      if (!isObj(j)) return error(400, "Invalid JSON");
      const from = objectList(isObj(j.from) ? [j.from] : undefined, "from", true);
      const to = objectList(j.to, "to", true);
      const cc = objectList(j.cc, "cc", false);
      const bcc = objectList(j.bcc, "bcc", false);
      for (const l of [from, to, cc, bcc]) if (typeof l === "string") return error(400, l);
      if (typeof j.subject !== "string" || !j.subject) return error(400, "'subject' is required");
      if (typeof j.text !== "string" && typeof j.html !== "string") return error(400, "Either 'text' or 'html' is required");
      const headers = isObj(j.headers) ? (j.headers as Record<string, string>) : {};
      return { from: (from as Mailbox[])[0], to: to as Mailbox[], cc: cc as Mailbox[], bcc: bcc as Mailbox[], subject: j.subject, text: j.text as string | undefined, html: j.html as string | undefined, headers };
    },
    success() {
      return { status: 200, body: { success: true, message_ids: [randomUUID()] } };
    },
  };
}

function sendgrid(o: ProviderOptions): Provider {
  // SendGrid v3: {errors: [{message, field, help}]}; 202 Accepted with an empty body.
  const error = (status: number, message?: string, field: string | null = null): Answer => ({
    status,
    body: {
      errors: [
        {
          message: message ?? (status === 401 ? "The provided authorization grant is invalid, expired, or revoked" : status === 429 ? "too many requests" : status >= 500 ? "internal server error" : "Bad Request"),
          field,
          help: null,
        },
      ],
    },
  });
  return {
    name: "sendgrid",
    path: "/v3/mail/send",
    error: (s, m) => error(s, m),
    accept(r) {
      if (bearer(r) !== o.key) return error(401);
      if (contentType(r) !== "application/json") return error(415, "Content-Type should be application/json.");
      let j: unknown;
      try {
        j = parseJson(r);
      } catch {
        return error(400, "Bad Request", null);
      }
      if (!isObj(j)) return error(400, "Bad Request");
      const p = Array.isArray(j.personalizations) ? j.personalizations[0] : undefined;
      if (!isObj(p)) return error(400, "The personalizations field is required and must have at least one personalization.", "personalizations");
      const to = objectList(p.to, "personalizations.0.to", true);
      if (p.cc !== undefined && Array.isArray(p.cc) && p.cc.length === 0) return error(400, "The cc array must have at least 1 item.", "personalizations.0.cc");
      if (p.bcc !== undefined && Array.isArray(p.bcc) && p.bcc.length === 0) return error(400, "The bcc array must have at least 1 item.", "personalizations.0.bcc");
      const cc = objectList(p.cc, "personalizations.0.cc", false);
      const bcc = objectList(p.bcc, "personalizations.0.bcc", false);
      const from = objectList(isObj(j.from) ? [j.from] : undefined, "from", true);
      for (const l of [to, cc, bcc, from]) if (typeof l === "string") return error(400, `The ${l}`, "personalizations");
      if (typeof j.subject !== "string" || !j.subject) return error(400, "The subject is required.", "subject");
      const content = Array.isArray(j.content) ? j.content : [];
      if (!content.length || !content.every((c) => isObj(c) && typeof c.type === "string" && typeof c.value === "string" && c.value.length > 0)) {
        return error(400, "The content value must be a string at least one character in length.", "content.0.value");
      }
      const pick = (t: string) => (content as { type: string; value: string }[]).find((c) => c.type === t)?.value;
      const headers = isObj(j.headers) ? (j.headers as Record<string, string>) : {};
      return { from: (from as Mailbox[])[0], to: to as Mailbox[], cc: cc as Mailbox[], bcc: bcc as Mailbox[], subject: j.subject, text: pick("text/plain"), html: pick("text/html"), headers };
    },
    success() {
      return { status: 202 };
    },
  };
}

/** multipart/form-data fields (RFC 7578), values as UTF-8 text; repeated names joined with ", ". */
export function parseMultipart(body: Buffer, boundary: string): Record<string, string> | null {
  const s = body.toString("latin1");
  const delim = `--${boundary}`;
  const parts = s.split(delim);
  if (parts.length < 3 || !parts[parts.length - 1].startsWith("--")) return null;
  const out: Record<string, string> = {};
  for (const p of parts.slice(1, -1)) {
    if (!p.startsWith("\r\n") || !p.endsWith("\r\n")) return null;
    const i = p.indexOf("\r\n\r\n");
    if (i < 0) return null;
    const m = /name="([^"]*)"/i.exec(p.slice(0, i));
    if (!m) return null;
    const v = Buffer.from(p.slice(i + 4, -2), "latin1").toString("utf8");
    out[m[1]] = out[m[1]] === undefined ? v : `${out[m[1]]}, ${v}`;
  }
  return out;
}

function mailgun(o: ProviderOptions): Provider {
  // Mailgun: {message: "..."}; 401 answers the text "Forbidden".
  const error = (status: number, message?: string): Answer =>
    status === 401 ? { status, body: "Forbidden" } : { status, body: { message: message ?? (status === 429 ? "Too many requests" : status >= 500 ? "Internal Server Error" : "Bad Request") } };
  return {
    name: "mailgun",
    path: `/v3/${o.domain ?? "example.com"}/messages`,
    error,
    accept(r) {
      const m = /^Basic\s+(.+)$/i.exec(String(r.headers.authorization ?? ""));
      if (!m || Buffer.from(m[1], "base64").toString("utf8") !== `api:${o.key}`) return error(401);
      const ct = String(r.headers["content-type"] ?? "");
      const b = /boundary=("?)([^";]+)\1/i.exec(ct);
      if (contentType(r) !== "multipart/form-data" || !b) return error(400, "Content-Type must be multipart/form-data");
      const f = parseMultipart(r.body, b[2]);
      if (!f) return error(400, "malformed multipart/form-data body");
      const from = f.from ? parseMailboxString(f.from) : null;
      if (!from) return error(400, f.from ? `from parameter is not a valid address. please check documentation` : "from parameter is missing");
      if (!f.to) return error(400, "to parameter is missing");
      const to = stringList(f.to, "to", true);
      const cc = stringList(f.cc, "cc", false);
      const bcc = stringList(f.bcc, "bcc", false);
      for (const l of [to, cc, bcc]) if (typeof l === "string") return error(400, `${l}. please check documentation`);
      if (f.subject === undefined) return error(400, "subject parameter is missing");
      if (f.text === undefined && f.html === undefined) return error(400, "Need at least one of 'text', 'html', 'amp-html' or 'template' parameters specified");
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(f)) if (k.startsWith("h:")) headers[k.slice(2)] = v;
      return { from, to: to as Mailbox[], cc: cc as Mailbox[], bcc: bcc as Mailbox[], subject: f.subject, text: f.text, html: f.html, headers };
    },
    success(_m, id) {
      return { status: 200, body: { id: `<${id}@${o.domain ?? "example.com"}>`, message: "Queued. Thank you." } };
    },
  };
}

function resend(o: ProviderOptions): Provider {
  // resend.com/docs/api-reference/errors: {statusCode, message, name}.
  const names: Record<number, string> = { 400: "validation_error", 401: "missing_api_key", 403: "invalid_api_key", 409: "invalid_idempotent_request", 422: "validation_error", 429: "rate_limit_exceeded", 500: "application_error" };
  const error = (status: number, message?: string): Answer => ({
    status,
    body: {
      statusCode: status,
      message: message ?? (status === 401 ? "Missing API key in the authorization header. Include the following header in the request: Authorization: Bearer YOUR_API_KEY" : status === 403 ? "API key is invalid" : status === 429 ? "Too many requests. You can only make 2 requests per second." : status >= 500 ? "An unexpected error occurred." : "Invalid request"),
      name: names[status] ?? (status >= 500 ? "application_error" : "validation_error"),
    },
  });
  return {
    name: "resend",
    path: "/emails",
    error,
    accept(r) {
      const k = bearer(r);
      if (k === undefined) return error(401);
      if (k !== o.key) return error(403);
      if (!r.headers["user-agent"]) return error(403, "Missing User-Agent header");
      if (contentType(r) !== "application/json") return error(422, "Content-Type must be application/json");
      let j: unknown;
      try {
        j = parseJson(r);
      } catch {
        return error(422, "Invalid JSON body");
      }
      if (!isObj(j)) return error(422, "Invalid JSON body");
      if (j.from === undefined) return error(422, "Missing `from` field.");
      const from = typeof j.from === "string" ? parseMailboxString(j.from) : null;
      if (!from) return error(422, "Invalid `from` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.");
      if (j.to === undefined) return error(422, "Missing `to` field.");
      const to = stringList(j.to, "to", true);
      const cc = stringList(j.cc, "cc", false);
      const bcc = stringList(j.bcc, "bcc", false);
      for (const l of [to, cc, bcc]) if (typeof l === "string") return error(422, `Invalid \`${l.includes("'cc'") ? "cc" : l.includes("'bcc'") ? "bcc" : "to"}\` field.`);
      if (typeof j.subject !== "string") return error(422, "Missing `subject` field.");
      if (typeof j.text !== "string" && typeof j.html !== "string") return error(422, "Missing `html` or `text` field.");
      const headers = isObj(j.headers) ? (j.headers as Record<string, string>) : {};
      return { from, to: to as Mailbox[], cc: cc as Mailbox[], bcc: bcc as Mailbox[], subject: j.subject, text: j.text as string | undefined, html: j.html as string | undefined, headers };
    },
    success(_m, id) {
      return { status: 200, body: { id } };
    },
  };
}

function generic(o: ProviderOptions): Provider {
  // A generic JSON endpoint: the header line must match; the body carries from/to/cc/bcc (objects or
  // "Name <addr>" strings), subject and text or html.
  const error = (status: number, message?: string): Answer => ({ status, body: { error: { status, message: message ?? "error" } } });
  const [hName, ...hRest] = (o.header ?? "Authorization: Bearer " + o.key).split(":");
  return {
    name: "generic",
    path: o.path ?? "/send",
    error,
    accept(r) {
      if (String(r.headers[hName.trim().toLowerCase()] ?? "") !== hRest.join(":").trim()) return error(401, "unauthorized");
      if (contentType(r) !== "application/json") return error(415, "Content-Type must be application/json");
      let j: unknown;
      try {
        j = parseJson(r);
      } catch {
        return error(400, "invalid JSON");
      }
      if (!isObj(j)) return error(400, "invalid JSON");
      const list = (v: unknown, f: string, req: boolean) => (Array.isArray(v) && v.every((x) => typeof x === "string") ? stringList(v, f, req) : objectList(v, f, req));
      const from = list(j.from === undefined ? undefined : [j.from], "from", true);
      const to = list(j.to, "to", true);
      const cc = list(j.cc, "cc", false);
      const bcc = list(j.bcc, "bcc", false);
      for (const l of [from, to, cc, bcc]) if (typeof l === "string") return error(422, l);
      if (typeof j.subject !== "string") return error(422, "subject is required");
      const kind = typeof j.kind === "string" ? j.kind : typeof j.html === "string" ? "html" : "text";
      const content = typeof j.body === "string" ? j.body : typeof j.html === "string" ? j.html : typeof j.text === "string" ? j.text : undefined;
      if (content === undefined) return error(422, "a body is required");
      return { from: (from as Mailbox[])[0], to: to as Mailbox[], cc: cc as Mailbox[], bcc: bcc as Mailbox[], subject: j.subject, [kind === "html" ? "html" : "text"]: content, headers: {} } as ApiMail;
    },
    success(_m, id) {
      return { status: 200, body: { id } };
    },
  };
}

export function createProvider(name: ProviderName, o: ProviderOptions): Provider {
  switch (name) {
    case "postmark":
      return postmark(o);
    case "mailtrap":
      return mailtrap(o);
    case "sendgrid":
      return sendgrid(o);
    case "mailgun":
      return mailgun(o);
    case "resend":
      return resend(o);
    case "generic":
      return generic(o);
  }
}
