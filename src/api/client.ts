// The API transport: sends a batch of mails as one HTTPS POST each (Connection: close, one TLS session at a
// time), with the same results as the SMTP client so the outbox treats both alike.
import type { HttpDoor, HttpRequest } from "../platform/http.ts";
import type { Timers } from "../platform/timers.ts";
import type { MailResult, SmtpError } from "../smtp/client.ts";
import { requestBody, type ApiMail } from "./request-body.ts";
import { isTransient, providerMessage } from "./response.ts";
import type { ApiSettings } from "./settings.ts";

/** Writes of about this size, each after the previous one drained (the board copies every write). */
const WRITE_BYTES = 1024;
/** Response bytes kept for the provider's message. */
const KEEP_BYTES = 400;

export interface ApiClient {
  /**
   * The outbox's mails (smtp/client.ts OutgoingMail; only `content` is read here): results[i] for every
   * mail that got an answer; the batch stops at the first transient failure.
   */
  send(mails: { content?: ApiMail }[], done: (err: SmtpError | null, results: MailResult[]) => void): void;
  /** Joins a mail to the batch being sent (its request follows the others); false when none runs. */
  add(mail: { content?: ApiMail }): boolean;
  close(): void;
}

function apiError(code: string, message: string, status: number, body: string): SmtpError {
  const e: any = new Error(message);
  e.code = code;
  e.response = body;
  e.responseCode = status;
  e.command = "POST";
  e.transient = isTransient(status);
  return e;
}

/** onIdle: called once a batch is over (done() has run): with Connection: close nothing is left open. */
export function createApiClient(a: ApiSettings, http: HttpDoor, timers: Timers, onIdle?: () => void): ApiClient {
  /** Bumped by close() and by each request: events of an older request are ignored. */
  let gen = 0;
  let timer: any;
  /** The batch being sent (null when none runs). */
  let batch: { content?: ApiMail }[] | null = null;
  function disarm() {
    if (timer !== undefined) timers.clear(timer);
    timer = undefined;
  }
  return {
    send: function (mails, done) {
      const results: MailResult[] = [];
      const my = ++gen;
      let n = 0;
      batch = mails;
      const finish = function (err: SmtpError | null) {
        batch = null;
        disarm();
        timers.set(function () {
          done(err, results);
          if (onIdle) onIdle();
        }, 0);
      };
      const next = function () {
        if (my != gen) return;
        if (n == mails.length) return finish(null);
        const m = mails[n++].content!;
        const rcpt = m.to.concat(m.cc, m.bcc).map(function (b) {
          return b.address;
        });
        let src = requestBody(a, m);
        let len = 0;
        let p: string | null;
        // Content-Length: a first pass over the pieces, each dropped once counted.
        while ((p = src()) !== null) len += p.length;
        src = requestBody(a, m);
        const headers: { [k: string]: string | number } = Object.assign({}, a.headers);
        headers["Content-Length"] = len;
        if (a.idHeader) headers[a.idHeader] = m.messageId;
        let status = 0;
        let body = "";
        let eof = false;
        let over = false;
        let req: HttpRequest;
        const end = function (e: { message: string } | null) {
          if (over || my != gen) return;
          over = true;
          const msg = providerMessage(body);
          const ok = status >= 200 && status < 300;
          const err = ok
            ? null
            : status
              ? apiError("EMESSAGE", a.provider + " answered " + status + ": " + msg, status, a.provider + " " + status + ": " + msg)
              : apiError("ECONNECTION", "network error: " + (e ? e.message : "no response"), 0, "");
          results.push({ accepted: ok ? rcpt : [], rejected: [], response: status + " " + msg, error: err });
          if (err && err.transient) finish(err);
          else next();
        };
        const arm = function () {
          disarm();
          timer = timers.set(function () {
            timer = undefined;
            end({ message: "no answer in " + a.timeoutSeconds + " s" });
          }, a.timeoutSeconds * 1000);
        };
        const pump = function () {
          arm();
          if (eof) return;
          let out = "";
          while (!eof && out.length < WRITE_BYTES) {
            p = src();
            if (p === null) eof = true;
            else out += p;
          }
          try {
            req.write(out);
            if (eof) req.end();
          } catch (x: any) {
            end({ message: "" + ((x && x.message) || x) });
          }
        };
        req = http(
          { host: a.host, port: a.port, path: a.path, tls: a.tls, headers: headers },
          {
            status: function (c) {
              status = c;
              arm();
            },
            data: function (d) {
              if (body.length < KEEP_BYTES) body += d;
            },
            drain: function () {
              if (!over) pump();
            },
            done: end,
          },
        );
        pump();
      };
      next();
    },
    add: function (m) {
      if (!batch) return false;
      batch.push(m);
      return true;
    },
    close: function () {
      gen++;
      batch = null;
      disarm();
    },
  };
}
