// Replies out of step (issue 17 defect 1 and 2): only 354 starts a body, only the reply to the final dot
// or to BDAT … LAST accepts a message, a reply nobody waits for drops the connection and keeps the mail.
import { describe, expect, it } from "vitest";
import { createSmtpClient, type SmtpClientOptions } from "../../src/smtp/client.ts";
import { createFake, mail, type FakeOptions } from "../support/smtp-fake.ts";

const FULL = ["PIPELINING", "CHUNKING", "AUTH PLAIN"];
const PIPE = ["PIPELINING", "AUTH PLAIN"];

function setup(f: FakeOptions = {}, o: Partial<SmtpClientOptions> = {}) {
  const fake = createFake({ user: "u", password: "pw", ...f });
  const client = createSmtpClient(
    { host: "127.0.0.1", port: 465, security: "tls", user: "u", password: "pw", trustedRelay: false, helo: "b.local", keepAliveSeconds: 0, timeoutSeconds: 10, ...o },
    fake.transport,
    fake.timers,
  );
  return { fake, client };
}
const m = (to = ["b@y.test"]) => mail("a@x.test", to, ["Subject: x\r\n\r\nbody\r\n"]);
/** Results the client reports as sent. */
const sent = (r: { results: { error: unknown; accepted: string[] }[] }) => r.results.filter((x) => x && !x.error && x.accepted.length).length;

describe("a reply out of step never counts as acceptance", () => {
  it.each([[PIPE], [["AUTH PLAIN"]]])("a 250 to DATA (%j) is a protocol error: the mail is not reported sent, and goes out on the next try", (ext) => {
    let first = true;
    const { fake, client } = setup({ ext, reply: (v) => (v === "DATA" && first ? ((first = false), "250 2.0.0 what body?") : undefined) });
    const r = fake.send(client, [m()]);
    expect(fake.messages).toHaveLength(0);
    expect(sent(r)).toBe(0);
    expect(r.err).toMatchObject({ code: "EPROTOCOL", transient: true });
    const r2 = fake.send(client, [m()]);
    expect(sent(r2)).toBe(1);
    expect(fake.messages).toHaveLength(1);
  });

  it("any other 2xx/3xx to DATA is a protocol error too; 4xx/5xx stay refusals", () => {
    for (const [reply, code] of [["334 eh", "EPROTOCOL"], ["221 bye", "EPROTOCOL"], ["451 4.3.0 later", "EMESSAGE"], ["554 5.7.1 no", "EMESSAGE"]]) {
      const { fake, client } = setup({ ext: PIPE, reply: (v) => (v === "DATA" ? reply : undefined) });
      const r = fake.send(client, [m()]);
      expect(sent(r)).toBe(0);
      if (code === "EPROTOCOL") expect(r.err).toMatchObject({ code, transient: true });
      else expect(r.results[0].error).toMatchObject({ code });
    }
  });

  it.each([[PIPE], [FULL]])("one extra 250 early in a pipelined group (%j) shifts the replies: nothing is reported sent that the server did not take", (ext) => {
    let extra = true;
    const { fake, client } = setup({ ext, reply: (v) => (v === "MAIL" && extra ? ((extra = false), "250 2.1.0 ok\r\n250 2.0.0 surprise") : undefined) });
    const r = fake.send(client, [m(), mail("a@x.test", ["c@y.test"], ["second\r\n"])]);
    expect(sent(r)).toBeLessThanOrEqual(fake.messages.length);
    // Not sent yet (or sent and not known): none is reported sent by a shifted reply, so the sender keeps both.
    const known = r.results.filter((x) => x && !x.error).length;
    expect(known).toBe(0);
    expect(r.err).toMatchObject({ code: "EPROTOCOL", transient: true });
  });

  it("QUIT answered with anything but 221 means the replies were out of step: the batch is not reported sent", () => {
    const { fake, client } = setup({ ext: FULL, reply: (v) => (v === "QUIT" ? "250 2.0.0 Ok: queued" : undefined) });
    const r = fake.send(client, [m()]);
    expect(sent(r)).toBe(0);
    expect(r.err).toMatchObject({ code: "EPROTOCOL", transient: true });
  });

  it("a reply with no command waiting while the body streams drops the connection and keeps the mail", () => {
    const { fake, client } = setup({ ext: ["AUTH PLAIN"], reply: (v) => (v === "DATA" ? "354 go\r\n250 surprise" : undefined) });
    const r = fake.send(client, [mail("a@x.test", ["b@y.test"], ["x".repeat(3000)])]);
    expect(r.err).toMatchObject({ code: "EPROTOCOL", transient: true });
    expect(sent(r)).toBe(0);
  });
});

describe("RCPT: only 5xx is permanent", () => {
  it("a 3xx to RCPT is not a refusal of the recipient for good: the error is transient", () => {
    const { fake, client } = setup({ ext: PIPE, reply: (v, a) => (v === "RCPT" && a === "c@y.test" ? "354 go ahead" : undefined) });
    const r = fake.send(client, [m(["b@y.test", "c@y.test"])]);
    expect(r.results[0].accepted).toEqual(["b@y.test"]);
    expect(r.results[0].rejected).toEqual([{ address: "c@y.test", response: "354 go ahead" }]);
    const { fake: f2, client: c2 } = setup({ ext: PIPE, reply: (v) => (v === "RCPT" ? "354 go ahead" : undefined) });
    const r2 = f2.send(c2, [m()]);
    expect(r2.results[0]?.error ?? r2.err).toMatchObject({ transient: true });
  });
});
