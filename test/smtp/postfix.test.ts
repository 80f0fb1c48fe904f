// Interop with a real Postfix (tools/postfix): CHUNKING (BDAT) over implicit TLS and over a plain trusted
// relay, through the simulator's Espruino net/tls; messages read back from the Maildir. Skipped, saying
// why, when Postfix is not installed (tools/postfix/install.sh) or the tests do not run as root,
// except in CI (CI=true): there startPostfix throws and the tests fail.
import { simpleParser } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postfixSkipReason, startPostfix, type Postfix } from "../../tools/postfix/postfix.ts";
import { bytes, composedMail, nodeClient, sendAsync } from "../support/smtp-node.ts";

const why = postfixSkipReason(); // null in CI: there Postfix must come up or the tests fail
if (why) console.log(`test/smtp/postfix.test.ts: SKIPPED, ${why}`);

const TEXT = ["Wassereinbruch im Keller — 3 cm", ".", ".starts with a dot", "x".repeat(5000), "ende"].join("\n");

function content(i: number, text = TEXT) {
  return {
    from: { name: "Board", address: "board@x.test" },
    to: [{ name: "Anna", address: "anna@y.test" }],
    cc: [],
    subject: bytes(`Postfix ${i} ✓`),
    text: bytes(text),
    date: Date.UTC(2026, 10, 29, 12, 0, 0),
  };
}

/** The message as Postfix stored it, minus the trace headers it prepends (Maildir files use LF). */
function stored(file: Buffer): string {
  const s = file.toString("latin1");
  const i = s.indexOf("\nFrom: ");
  return s.slice(i + 1);
}

describe.skipIf(why !== null)("against Postfix", () => {
  /** The stored copy of the message whose Message-ID raw carries. */
  const find = (raw: string) => {
    const id = /Message-ID: (<[^>]+>)/.exec(raw)![1];
    return pf!.messages().map(stored).find((m) => m.includes("Message-ID: " + id)) ?? "(not delivered)";
  };
  let pf: Postfix | null = null;
  beforeAll(async () => {
    // null (the reason printed by startPostfix) when Postfix is installed but would not start here.
    pf = await startPostfix();
  }, 60000);
  afterAll(async () => {
    if (pf) await pf.stop();
  });

  it("delivers a batch with BDAT over implicit TLS and AUTH PLAIN, bodies byte for byte", async (ctx) => {
    if (!pf) return ctx.skip();
    const log: string[] = [];
    const client = nodeClient({ port: pf.tlsPort, user: pf.user, password: pf.password }, log);
    const a = composedMail(content(1));
    const b = composedMail(content(2, "short one\n.\n"));
    const before = pf.messages().length;
    const r = await sendAsync(client, [a.mail, b.mail]);
    expect(r.err).toBeNull();
    expect(r.results.map((x) => x.error)).toEqual([null, null]);
    expect(r.results[0].response).toMatch(/^250 2\.0\.0 Ok: \d+ bytes queued/);
    await pf.waitForMessages(before + 2, 15000);
    expect(find(a.raw)).toBe(a.raw.replace(/\r\n/g, "\n"));
    expect(find(b.raw)).toBe(b.raw.replace(/\r\n/g, "\n"));
    expect((await simpleParser(find(a.raw))).text).toBe(TEXT + "\n");
    expect((await simpleParser(find(b.raw))).text).toBe("short one\n.\n");
    // The client used CHUNKING and PIPELINING: BDAT in the transcript, no DATA.
    expect(log.some((l) => l.startsWith("C: BDAT ") && l.endsWith(" LAST"))).toBe(true);
    expect(log).not.toContain("C: DATA");
    expect(log).toContain("C: AUTH PLAIN ****");
    // Postfix's own count for the session: BDAT only (as many as the client wrote: chunks of at most
    // MAX_WRITE), RSET between the pipelined mails.
    const bdat = log.filter((l) => l.startsWith("C: BDAT ")).length;
    expect(bdat).toBeGreaterThanOrEqual(4);
    expect(pf.log()).toContain(`ehlo=1 auth=1 mail=2 rcpt=2 bdat=${bdat} rset=1 quit=1 commands=${8 + bdat}`);
  });

  it("sends AUTH over a plain connection only to a relay marked trusted", async (ctx) => {
    if (!pf) return ctx.skip();
    const refused = await sendAsync(nodeClient({ port: pf.plainPort, security: "plain", user: pf.user, password: pf.password }), [composedMail(content(3)).mail]);
    expect(refused.err).toMatchObject({ code: "ECONFIG" });
    const before = pf.messages().length;
    const m = composedMail(content(4, "via the LAN relay"));
    const r = await sendAsync(nodeClient({ port: pf.plainPort, security: "plain", trustedRelay: true, user: pf.user, password: pf.password }), [m.mail]);
    expect(r.err).toBeNull();
    await pf.waitForMessages(before + 1, 15000);
    expect(find(m.raw)).toBe(m.raw.replace(/\r\n/g, "\n"));
  });

  it("reports a wrong password from Postfix as EAUTH", async (ctx) => {
    if (!pf) return ctx.skip();
    const r = await sendAsync(nodeClient({ port: pf.tlsPort, user: pf.user, password: "nope" }), [composedMail(content(5)).mail]);
    expect(r.err).toMatchObject({ code: "EAUTH", responseCode: 535, transient: false });
  });
});
