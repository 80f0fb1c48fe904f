// SMTP errors: what they are (SmtpError) and the one builder (a plain Error with fields: subclasses break on Espruino).

/** An Error with these fields set (never a subclass). */
export interface SmtpError extends Error {
  code: "ECONNECTION" | "ETIMEDOUT" | "ETLS" | "EAUTH" | "EENVELOPE" | "EMESSAGE" | "EPROTOCOL" | "ECONFIG";
  response: string;
  responseCode: number;
  command: string;
  transient: boolean;
}

/** What a server that wants STARTTLS (RFC 3207) means for the board, which has no TLS upgrade. */
export function startTlsHint(): string {
  // A function, not a module-level string: its text stays in flash instead of ~15 variables at rest.
  return "the server answered in plain text: probably a STARTTLS port (like 587), which the board cannot use; use port 465 with \"tls\", or a plain relay";
}

/** transient: 4xx replies, network errors and timeouts (retry later); 5xx and config/auth problems are not. */
export function smtpError(
  code: SmtpError["code"],
  message: string,
  responseCode?: number,
  response?: string,
  /** The command answered; only its first word is kept ("DATA ." is DATA, "AUTH USER" is AUTH: never a secret). */
  command?: string,
): SmtpError {
  // RFC 3207 §4: 530 "Must issue a STARTTLS command first" on a plain connection.
  if (responseCode === 530 && /STARTTLS/i.test(response!)) message = "530 STARTTLS required: " + startTlsHint();
  const e = new Error(message) as SmtpError;
  e.code = code;
  e.responseCode = responseCode || 0;
  e.response = response || "";
  e.command = command ? command.split(" ")[0] : "";
  e.transient = responseCode ? responseCode < 500 : code !== "ECONFIG" && code !== "EAUTH";
  return e;
}
