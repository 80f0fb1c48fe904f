// What a provider's answer means for the outbox: 2xx = accepted by the provider for every recipient;
// 408, 429, 5xx and network failures are transient (retried with backoff); any other status is
// permanent (reported with the provider's own message, never retried) — RFC 9110 §15.

/** The human part of a provider's reply: "Message"/"message" (Postmark, Mailgun, Resend, SendGrid's
 * errors[].message) or Mailtrap's errors[0]; else the start of the body on one line. */
export function providerMessage(body: string): string {
  const m = body.match(/essage":"([^"]*)/) || body.match(/rrors":."([^"]*)/);
  return (m ? m[1] : body.slice(0, 120)).replace(/[\r\n]+/g, " ").trim();
}

/** RFC 9110 §15.5.9 (408), RFC 6585 §4 (429), §15.6 (5xx); 0 = no answer at all. */
export function isTransient(status: number): boolean {
  return !status || status == 408 || status == 429 || status >= 500;
}
