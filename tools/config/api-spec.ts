// board.json "api": sending through an email provider's HTTPS API instead of SMTP. Each preset is built from
// the provider's public API documentation and compiled here, on the PC, into the one request shape the
// firmware fills in (src/api/settings.ts): the board carries no per-provider code, and the key travels in
// alertmail.json like the SMTP password, never in firmware/app.js.
import { randomBytes } from "node:crypto";
import type { ApiSettings } from "../../src/api/settings.ts";
import type { Mailbox } from "../../src/config.ts";
import type { EnumField, Field, NumberField, ObjectField, StringField } from "./spec.ts";

export const PROVIDERS = ["postmark", "mailtrap", "sendgrid", "mailgun", "resend", "generic"] as const;
export type Provider = (typeof PROVIDERS)[number];

/** board.json's api section as the user writes it. */
export interface BoardApi {
  provider: Provider;
  key?: string;
  domain?: string;
  region?: "us" | "eu";
  stream?: string;
  inbox?: string;
  url?: string;
  header?: string;
  template?: string;
  mailbox?: "object" | "string";
  timeoutSeconds?: number;
}

/** Field names a generic template may use; everything else in it is literal JSON. */
export const API_FIELDS: Record<string, string> = {
  from: "smtp.from as one mailbox (see mailbox)",
  to: "the recipients, mailboxes separated by commas (write the brackets yourself: [{{to}}])",
  cc: "smtp.cc, the same way (may be empty: [{{cc}}] becomes [])",
  bcc: "smtp.bcc, the same way",
  subject: "the rendered subject, JSON-escaped",
  body: "the rendered body (text or HTML), JSON-escaped, streamed",
  kind: '"text" or "html"',
  id: "the alert's unique id (the Message-ID without <>)",
};

/** What each preset needs, said by the validator and the reference. */
export const PRESET_HELP: Record<Provider, string> = {
  postmark: 'POST https://api.postmarkapp.com/email, header X-Postmark-Server-Token; needs key (a Server API token); optional stream (default "outbound")',
  mailtrap: "POST https://send.api.mailtrap.io/api/send, Authorization: Bearer; needs key (an API token with sending rights); optional inbox (a sandbox inbox id: then sandbox.api.mailtrap.io/api/send/<inbox>)",
  sendgrid: 'POST https://api.sendgrid.com/v3/mail/send, Authorization: Bearer; needs key (an API key with Mail Send); optional region "eu" (api.eu.sendgrid.com)',
  mailgun: 'POST https://api.mailgun.net/v3/<domain>/messages (multipart/form-data), HTTP Basic api:<key>; needs key and domain (your sending domain); optional region "eu" (api.eu.mailgun.net)',
  resend: "POST https://api.resend.com/emails, Authorization: Bearer, Idempotency-Key; needs key (an API key with sending access)",
  generic: 'any HTTPS JSON API: needs url, header ("Name: value", {{key}} is the key) and template (the JSON body with {{from}} {{to}} {{cc}} {{bcc}} {{subject}} {{body}} {{kind}} {{id}}); optional key, mailbox',
};

/** Keys each preset requires, beyond provider. */
export const PRESET_REQUIRED: Record<Provider, (keyof BoardApi)[]> = {
  postmark: ["key"],
  mailtrap: ["key"],
  sendgrid: ["key"],
  mailgun: ["key", "domain"],
  resend: ["key"],
  generic: ["url", "header", "template"],
};

const str = (description: string, extra: Partial<StringField> = {}): StringField => ({ type: "string", description, ...extra });

const apiProps: { [K in keyof BoardApi]-?: Field } = {
  provider: {
    type: "enum",
    values: PROVIDERS,
    required: true,
    description: `Which provider's API. Each preset needs: ${PROVIDERS.map((p) => `"${p}": ${PRESET_REQUIRED[p].join(", ")}`).join("; ")} (the validator says what each one is).`,
  } as EnumField,
  key: str('The API key or token. Write "${API_KEY}" and set API_KEY when you build or flash: it goes to the board\'s alertmail.json, never into firmware/app.js.', { secret: true, minLength: 1, defaultNote: "none (required by every preset but generic)" }),
  domain: str("mailgun: the sending domain registered with Mailgun (mg.example.com).", { examples: ["mg.example.com"], defaultNote: "none (required by mailgun)" }),
  region: { type: "enum", values: ["us", "eu"], default: "us", description: 'mailgun and sendgrid: "eu" for an account in the EU region.' } as EnumField,
  stream: str('postmark: the message stream ("outbound" is the default transactional stream).', { default: "outbound" }),
  inbox: str("mailtrap: a sandbox inbox id, to send to Mailtrap's test inbox instead of real recipients.", { defaultNote: "none (real sending)" }),
  url: str("generic: the endpoint, https://host/path. Any preset: another endpoint of the same API (a test server, a regional host).", { defaultNote: "the preset's endpoint (required by generic)" }),
  header: str('generic: the authentication header as "Name: value"; {{key}} stands for key (e.g. "Authorization: Bearer {{key}}").', { secret: true, defaultNote: "none (required by generic)" }),
  template: str(
    `generic: the JSON request body, with these placeholders: ${Object.entries(API_FIELDS)
      .map(([k, v]) => `{{${k}}} ${v}`)
      .join("; ")}.`,
    { multiline: true, defaultNote: "none (required by generic)" },
  ),
  mailbox: {
    type: "enum",
    values: ["object", "string"],
    default: "object",
    description: 'generic: a mailbox is written {"email": …, "name": …} ("object") or "Name <email>" ("string").',
  } as EnumField,
  timeoutSeconds: { type: "integer", minimum: 1, maximum: 600, default: 30, description: "Seconds without progress before a request is given up (then retried)." } as NumberField,
};

/** The api section of board.json (hooked into spec.ts). */
export const API_FIELD: ObjectField = {
  type: "object",
  defaultNote: "none: mails go out over SMTP",
  description:
    'Send through an email provider\'s HTTPS API instead of SMTP (one request per alert, port 443). smtp still names from, to, cc and bcc; its host, port and login are then unused (host may be left out). Every preset: 2xx = sent; 429, 5xx and network failures are retried with backoff; other answers (400, 401, 403, 422…) are reported with the provider\'s message and not retried.',
  props: apiProps,
};

/** The JSON header and mailbox shapes shared by the JSON presets. */
const JSON_TYPE = "application/json";
const OBJECT_ITEM = ['{"email":"\x02","name":"\x01"}', '{"email":"\x02"}'];
/** "Name" <addr> inside a JSON string (the quotes escaped once). */
const QUOTED_IN_JSON = ['\\"\x01\\" <\x02>', "\x02"];

/** Splits "…{{field}}…" into literal/field alternation; unknown {{names}} are reported. */
export function splitTemplate(t: string, bad: (name: string) => void): string[] {
  const out: string[] = [];
  let rest = t;
  for (;;) {
    const m = /\{\{\s*([A-Za-z]+)\s*\}\}/.exec(rest);
    if (!m) break;
    if (!(m[1] in API_FIELDS)) bad(m[1]);
    out.push(rest.slice(0, m.index), m[1]);
    rest = rest.slice(m.index + m[0].length);
  }
  out.push(rest);
  return out;
}

function parseUrl(u: string): { tls: number; host: string; port: number; path: string } | string {
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    return "an absolute URL such as https://api.example.com/send";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "an https:// URL";
  const tls = url.protocol === "https:" ? 1 : 0;
  return { tls, host: url.hostname.replace(/^\[|\]$/g, ""), port: url.port ? Number(url.port) : tls ? 443 : 80, path: (url.pathname || "/") + url.search };
}

type Compiled = Omit<ApiSettings, "provider" | "host" | "port" | "path" | "tls" | "timeoutSeconds"> & { url: string };

function preset(p: Exclude<Provider, "generic">, a: BoardApi): Compiled {
  const key = a.key ?? "";
  const eu = a.region === "eu";
  switch (p) {
    case "postmark":
      // postmarkapp.com/developer/user-guide/send-email-with-api: From/To/Cc/Bcc are "Name <addr>" strings
      // (comma-separated), TextBody or HtmlBody, Headers [{Name, Value}], MessageStream.
      return {
        url: "https://api.postmarkapp.com/email",
        headers: { Accept: JSON_TYPE, "Content-Type": JSON_TYPE, "X-Postmark-Server-Token": key },
        idHeader: "",
        body: tpl(
          `{"From":"{{from}}","To":"{{to}}"{{cc}}{{bcc}},"Subject":"{{subject}}","{{kind}}":"{{body}}","Headers":[{"Name":"X-Alertmail-Id","Value":"{{id}}"}],"MessageStream":${JSON.stringify(a.stream ?? "outbound")}}`,
        ),
        json: 1,
        item: QUOTED_IN_JSON,
        sep: ", ",
        wrap: { cc: [',"Cc":"', '"'], bcc: [',"Bcc":"', '"'] },
        kinds: ["TextBody", "HtmlBody"],
      };
    case "mailtrap":
      // Mailtrap Email Sending API: from {email, name}, to/cc/bcc arrays of them, text or html, headers {}.
      return {
        url: a.inbox ? `https://sandbox.api.mailtrap.io/api/send/${encodeURIComponent(a.inbox)}` : "https://send.api.mailtrap.io/api/send",
        headers: { Authorization: `Bearer ${key}`, "Content-Type": JSON_TYPE },
        idHeader: "",
        body: tpl(`{"from":{{from}},"to":[{{to}}]{{cc}}{{bcc}},"subject":"{{subject}}","{{kind}}":"{{body}}","headers":{"X-Alertmail-Id":"{{id}}"}}`),
        json: 1,
        item: OBJECT_ITEM,
        sep: ",",
        wrap: { cc: [',"cc":[', "]"], bcc: [',"bcc":[', "]"] },
        kinds: ["text", "html"],
      };
    case "sendgrid":
      // SendGrid v3 Mail Send: personalizations[0].to/cc/bcc (empty lists refused, so left out), from,
      // content [{type, value}], headers {} (Message-ID is not among its reserved headers). 202 = queued.
      return {
        url: `https://${eu ? "api.eu.sendgrid.com" : "api.sendgrid.com"}/v3/mail/send`,
        headers: { Authorization: `Bearer ${key}`, "Content-Type": JSON_TYPE },
        idHeader: "",
        body: tpl(
          `{"personalizations":[{"to":[{{to}}]{{cc}}{{bcc}}}],"from":{{from}},"subject":"{{subject}}","content":[{"type":"{{kind}}","value":"{{body}}"}],"headers":{"Message-ID":"<{{id}}>"}}`,
        ),
        json: 1,
        item: OBJECT_ITEM,
        sep: ",",
        wrap: { cc: [',"cc":[', "]"], bcc: [',"bcc":[', "]"] },
        kinds: ["text/plain", "text/html"],
      };
    case "mailgun": {
      // Mailgun Messages API: multipart/form-data fields from, to, cc, bcc ("Name <addr>", comma-separated),
      // subject, text or html, h:<Header> for MIME headers; HTTP Basic user "api". The fields go as raw
      // UTF-8 bytes: no escaping at all (form-urlencoded would need encodeURIComponent, which garbles every
      // byte >= 0x80 on the board: measured on 2v29). The boundary is random per configuration.
      const b = `alertmail-${randomBytes(9).toString("hex")}`;
      const field = (name: string) => `--${b}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n`;
      return {
        url: `https://${eu ? "api.eu.mailgun.net" : "api.mailgun.net"}/v3/${encodeURIComponent(a.domain ?? "")}/messages`,
        headers: { Authorization: `Basic ${Buffer.from(`api:${key}`).toString("base64")}`, "Content-Type": `multipart/form-data; boundary=${b}` },
        idHeader: "",
        body: tpl(
          `${field("from")}{{from}}\r\n${field("to")}{{to}}\r\n{{cc}}{{bcc}}${field("subject")}{{subject}}\r\n--${b}\r\nContent-Disposition: form-data; name="{{kind}}"\r\n\r\n{{body}}\r\n${field("h:Message-Id")}<{{id}}>\r\n--${b}--\r\n`,
        ),
        json: 0,
        item: ['"\x01" <\x02>', "\x02"],
        sep: ", ",
        wrap: { cc: [field("cc"), "\r\n"], bcc: [field("bcc"), "\r\n"] },
        kinds: ["text", "html"],
      };
    }
    case "resend":
      // Resend POST /emails: from and to/cc/bcc as "Name <addr>" strings, text or html, headers {};
      // Idempotency-Key makes a retry after a lost answer safe (kept 24 h).
      return {
        url: "https://api.resend.com/emails",
        headers: { Authorization: `Bearer ${key}`, "Content-Type": JSON_TYPE },
        idHeader: "Idempotency-Key",
        body: tpl(`{"from":{{from}},"to":[{{to}}]{{cc}}{{bcc}},"subject":"{{subject}}","{{kind}}":"{{body}}","headers":{"X-Alertmail-Id":"{{id}}"}}`),
        json: 1,
        item: ['"\\"\x01\\" <\x02>"', '"\x02"'],
        sep: ",",
        wrap: { cc: [',"cc":[', "]"], bcc: [',"bcc":[', "]"] },
        kinds: ["text", "html"],
      };
  }
}

function tpl(t: string): string[] {
  return splitTemplate(t, (n) => {
    throw new Error(`preset template uses unknown field ${n}`);
  });
}

/** Sample values for checking that a generic template gives valid JSON. */
function renderSample(parts: string[], item: string[]): string {
  const box = item[0].split("\x01").join("Ann").split("\x02").join("ann@example.com");
  const v: Record<string, string> = { from: box, to: box, cc: "", bcc: "", subject: "s", body: "b", kind: "text", id: "x@y" };
  return parts.map((p, i) => (i % 2 ? v[p] : p)).join("");
}

export interface ApiProblem {
  path: string;
  message: string;
}

/**
 * The api section (defaults filled by the validator) → the firmware's ApiSettings, or the problems with it.
 * `people` are every mailbox the board may write (from, to, cc, bcc, rules' to), checked for what a
 * preset cannot carry.
 */
export function compileApi(a: BoardApi, people: { path: string; box: Mailbox }[]): { settings?: ApiSettings; problems: ApiProblem[] } {
  const problems: ApiProblem[] = [];
  const p = a.provider;
  for (const k of PRESET_REQUIRED[p] ?? []) {
    if (a[k] === undefined || a[k] === "") problems.push({ path: `api.${k}`, message: `missing; the "${p}" preset needs ${PRESET_REQUIRED[p].join(" and ")}: ${PRESET_HELP[p]}` });
  }
  const foreign = (Object.keys(apiProps) as (keyof BoardApi)[]).filter(
    (k) => a[k] !== undefined && !["provider", "timeoutSeconds", "url", "region", "stream", "mailbox", ...PRESET_REQUIRED[p]].includes(k) && !presetOptional(p).includes(k),
  );
  for (const k of foreign) problems.push({ path: `api.${k}`, message: `not used by the "${p}" preset (${PRESET_HELP[p]}); remove it` });
  if (problems.length) return { problems };

  let c: Compiled;
  if (p === "generic") {
    const h = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):\s*(.*)$/.exec(a.header ?? "");
    if (!h) problems.push({ path: "api.header", message: 'expected one header line "Name: value", e.g. "Authorization: Bearer {{key}}"' });
    const item = a.mailbox === "string" ? ['"\\"\x01\\" <\x02>"', '"\x02"'] : OBJECT_ITEM;
    const body = splitTemplate(a.template ?? "", (n) =>
      problems.push({ path: "api.template", message: `unknown placeholder {{${n}}}; expected ${Object.keys(API_FIELDS).map((f) => `{{${f}}}`).join(" ")}` }),
    );
    for (const need of ["to", "subject", "body"]) {
      if (!body.some((x, i) => i % 2 === 1 && x === need)) problems.push({ path: "api.template", message: `has no {{${need}}}; the request would not carry the mail's ${need}` });
    }
    if (!problems.length) {
      try {
        JSON.parse(renderSample(body, item));
      } catch (e) {
        problems.push({ path: "api.template", message: `is not valid JSON once filled in (${(e as Error).message}); placeholders of text fields go inside quotes: "subject":"{{subject}}"` });
      }
    }
    if (problems.length) return { problems };
    const key = a.key ?? "";
    c = { url: a.url!, headers: { [h![1]]: h![2].split("{{key}}").join(key), "Content-Type": JSON_TYPE }, idHeader: "", body, json: 1, item, sep: ",", wrap: {}, kinds: ["text", "html"] };
  } else {
    c = preset(p, a);
  }
  const url = parseUrl(a.url ?? c.url);
  if (typeof url === "string") return { problems: [{ path: "api.url", message: `found ${JSON.stringify(a.url)}; expected ${url}` }] };
  // A display name goes inside "…" (a quoted-string, RFC 5322 §3.2.4) or a JSON string: no " or \ in it.
  if (p !== "generic" || a.mailbox === "string") {
    for (const x of people) {
      if (/["\\]/.test(x.box.name)) problems.push({ path: x.path, message: `the display name ${JSON.stringify(x.box.name)} has " or \\, which the ${p} API mailbox format cannot carry; remove them` });
    }
  }
  if (problems.length) return { problems };
  const { url: _u, ...rest } = c;
  // The board writes "Host: host:port" whenever the port is not 80 (socketserver.c), 443 included: a Host
  // header of our own keeps it the bare name the API's virtual host expects (RFC 9110 §7.2).
  if (url.port === (url.tls ? 443 : 80)) rest.headers = { Host: url.host, ...rest.headers };
  return { settings: { provider: p, host: url.host, port: url.port, path: url.path, tls: url.tls, timeoutSeconds: a.timeoutSeconds ?? 30, ...rest }, problems };
}

function presetOptional(p: Provider): (keyof BoardApi)[] {
  return p === "generic" ? ["key"] : p === "mailtrap" ? ["inbox"] : [];
}

/** With an api section, smtp.host may be left out: it is filled with a reserved name (RFC 2606) that is never used. */
export function fillApiSmtpHost(raw: unknown): void {
  const r = raw as { api?: unknown; smtp?: { host?: unknown } } | null;
  if (r && typeof r === "object" && r.api && typeof r.api === "object" && r.smtp && typeof r.smtp === "object" && r.smtp.host === undefined) r.smtp.host = "api.invalid";
}

/** board.json with the api section applied: compiles it into config.api, reporting problems at their key paths. */
export function checkApi(cfg: Record<string, any>, error: (path: string, message: string) => void): void {
  if (!cfg.api) return;
  const smtp = cfg.smtp ?? {};
  const people: { path: string; box: Mailbox }[] = [];
  const add = (list: unknown, path: string) => {
    if (Array.isArray(list)) list.forEach((box, i) => box && typeof box === "object" && people.push({ path: `${path}[${i}]`, box }));
  };
  if (smtp.from && typeof smtp.from === "object") people.push({ path: "smtp.from", box: smtp.from });
  add(smtp.to, "smtp.to");
  add(smtp.cc, "smtp.cc");
  add(smtp.bcc, "smtp.bcc");
  (Array.isArray(cfg.alerts) ? cfg.alerts : []).forEach((a: any, i: number) => add(a && a.to, `alerts[${i}].to`));
  const r = compileApi(cfg.api, people);
  r.problems.forEach((p) => error(p.path, p.message));
  if (r.settings) cfg.api = r.settings;
}

/** [key path, value] of the api key as the configuration carries it, for the build's check that no secret reached the bundle. */
export function apiSecrets(config: object): [string, string][] {
  const api = (config as { api?: ApiSettings }).api;
  if (!api) return [];
  return Object.keys(api.headers)
    .filter((h) => !/^(content-type|accept|host)$/i.test(h))
    .map((h): [string, string] => [`api.key (header ${h})`, String(api.headers[h])]);
}
