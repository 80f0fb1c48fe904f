// Mails joining an open session (issue 12.1: their groups pipelined onto it, each with its own result,
// nothing lost or doubled when the session fails midway) and what a STARTTLS server means (issue 14.3).
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
const m = (s: string) => mail("a@x.test", ["b@y.test"], ["Subject: " + s + "\r\n\r\n" + s + "\r\n"]);

describe("a mail joins the session that is open", () => {
  it.each([[FULL], [PIPE], [["AUTH PLAIN"]]])("before the greeting, during EHLO/AUTH, and mid-mail (%j): one connection, a result each", (ext) => {
    // at = the server's n-th command of the session when the alert is raised (0: right after send()).
    for (const at of [0, 1, 2, 3, 4, 5]) {
      let added: boolean | undefined;
      let client: ReturnType<typeof setup>["client"];
      let quitWritten = false;
      const join = () => ((quitWritten = fake.wire[0]?.includes("QUIT") ?? false), (added = client.add(m("two"))));
      const s = setup({ ext, reply: (_v, _a, n) => (n === at && added === undefined ? (join(), undefined) : undefined) });
      client = s.client;
      var fake = s.fake;
      let results: any[] = [];
      client.send([m("one")], (_e, r) => (results = r));
      if (at === 0) join();
      fake.advance(60_000);
      // With keepAliveSeconds 0 QUIT rides on the last group: from then on the session cannot take more.
      if (!added) {
        expect({ at, quitWritten }).toEqual({ at, quitWritten: true });
        continue;
      }
      expect(fake.connections).toBe(1);
      expect({ at, got: fake.messages.map((x) => x.data.split("\r\n")[0]) }).toEqual({ at, got: ["Subject: one", "Subject: two"] });
      expect(results.map((r) => r && !r.error)).toEqual([true, true]);
    }
  });

  it("once QUIT is on its way a mail cannot join: add() says so, and the caller sends it later", () => {
    const { fake, client } = setup({ ext: FULL });
    const r = fake.send(client, [m("one")]);
    expect(r.results[0].error).toBeNull();
    expect(client.add(m("two"))).toBe(false);
  });

  it.each([[FULL], [PIPE]])("a session that fails midway (%j) reports only what the server took: nothing lost, nothing twice", (ext) => {
    for (let cut = 1; cut < 20; cut++) {
      const { fake, client } = setup({ ext, closeAt: cut });
      let results: any[] = [];
      let err: any;
      client.send([m("one")], (e, r) => ((err = e), (results = r)));
      client.add(m("two"));
      fake.advance(60_000);
      const sent = results.filter((r) => r && !r.error).length;
      // Reported sent ⇒ the server has it; not reported ⇒ the caller keeps it and sends it again.
      expect(sent).toBeLessThanOrEqual(fake.messages.length);
      if (sent < 2) expect(err).toBeTruthy();
    }
  });
});

describe("a server that wants STARTTLS", () => {
  it('"tls" on a port that answers in plain text: the handshake failure says what it means', () => {
    const { fake, client } = setup({ closeBeforeGreeting: true });
    const r = fake.send(client, [m("one")]);
    expect(r.err).toMatchObject({ code: "ETLS" });
    expect(r.err!.message).toMatch(/STARTTLS port.*cannot use; use port 465 with "tls", or a plain relay/);
  });

  it('"plain" answered 530 Must issue a STARTTLS command first: the error says what it means', () => {
    const { fake, client } = setup({ reply: (v) => (v === "MAIL" ? "530 5.7.0 Must issue a STARTTLS command first" : undefined) }, { security: "plain", password: "", user: "" });
    const r = fake.send(client, [m("one")]);
    const e = r.results[0]?.error ?? r.err;
    expect(e).toMatchObject({ responseCode: 530, transient: false });
    expect(e!.message).toMatch(/STARTTLS.*use port 465 with "tls", or a plain relay/);
  });
});

describe("a client says when it holds nothing (its owner drops it: none of its variables stay at rest)", () => {
  it("idle after QUIT and the close; with keep-alive only once the kept connection is closed; never while a batch runs", () => {
    for (const keep of [0, 30]) {
      const fake = createFake({ user: "u", password: "pw", ext: FULL });
      let idle = 0;
      const client = createSmtpClient(
        { host: "127.0.0.1", port: 465, security: "tls", user: "u", password: "pw", trustedRelay: false, helo: "b.local", keepAliveSeconds: keep, timeoutSeconds: 10 },
        fake.transport,
        fake.timers,
        () => idle++,
      );
      const r = fake.send(client, [m("one")]);
      expect(r.results[0].error).toBeNull();
      expect(idle).toBe(keep ? 0 : 1);
      fake.advance(keep * 1000 + 1000);
      expect(idle).toBe(1);
      expect(fake.timers.pending()).toBe(0);
    }
  });
});
