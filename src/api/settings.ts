// The "api" section of alertmail.json: a provider preset compiled on the PC (tools/config/api-spec.ts) into
// one request shape the board fills in, so the board carries no per-provider code.

/**
 * One HTTPS POST per mail. `body` alternates literal text (even indices) and field names (odd indices):
 * from, to, cc, bcc (mailboxes through `item`), subject, kind (kinds[0] for text, kinds[1] for HTML),
 * body, id (the Message-ID without <>). Field values are JSON-escaped when `json` is 1, written raw
 * (multipart/form-data) when 0.
 */
export interface ApiSettings {
  /** Preset name, for messages. */
  provider: string;
  host: string;
  port: number;
  path: string;
  /** 1 = HTTPS (every preset); 0 = plain HTTP (a generic endpoint on a trusted LAN). */
  tls: number;
  /** Request headers, authentication and Content-Type included (Content-Length is added per mail). */
  headers: { [name: string]: string };
  /** A header whose value is the mail's id (an idempotency key), or "". */
  idHeader: string;
  body: string[];
  json: number;
  /** Mailbox templates: [with a display name, without one]; "\x01" = the name, "\x02" = the address. */
  item: string[];
  /** Between two mailboxes of one list. */
  sep: string;
  /** A list field that may be empty: [before, after] written around it only when it is not. */
  wrap: { [field: string]: string[] };
  kinds: string[];
  timeoutSeconds: number;
}

/** Storage file holding the API transport (src/api/module.ts), present only when the api section is. */
export const API_MODULE = "amapi.js";
