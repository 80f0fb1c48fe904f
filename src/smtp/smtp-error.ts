// SMTP errors: a plain Error with fields (never a subclass: they break on Espruino).
import type { SmtpError } from "./client.ts";

/** transient: 4xx replies, network errors and timeouts (retry later); 5xx and config/auth problems are not. */
export function smtpError(
  code: SmtpError["code"],
  message: string,
  responseCode?: number,
  response?: string,
  command?: string,
): SmtpError {
  const e = new Error(message) as SmtpError;
  e.code = code;
  e.responseCode = responseCode || 0;
  e.response = response || "";
  e.command = command || "";
  e.transient = responseCode ? responseCode < 500 : code !== "ECONFIG" && code !== "EAUTH";
  return e;
}
