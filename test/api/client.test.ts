// The API client against a scripted http door: how the body is cut into writes, what ends a request,
// and what the outbox is told. (The real door and real servers: client-sim.test.ts, real-interpreter.test.ts.)
import { describe, expect, it } from "vitest";
import { createApiClient } from "../../src/api/client.ts";
import { escapeJson } from "../../src/api/json-escape.ts";
import { requestBody, type ApiMail } from "../../src/api/request-body.ts";
import { providerMessage } from "../../src/api/response.ts";
import type { HttpDoor, HttpEvents, HttpOptions } from "../../src/platform/http.ts";
import type { Timers } from "../../src/platform/timers.ts";
import type { MailResult, SmtpError } from "../../src/smtp/client.ts";
import { compileApi } from "../../tools/config/api-spec.ts";

const api = compileApi({ provider: "postmark", key: "k" }, []).settings!;

function mail(text: string, over: Partial<ApiMail> = {}): ApiMail {
  return { from: { name: "A", address: "a@example.com" }, to: [{ name: "", address: "b@example.com" }], cc: [], bcc: [], subject: "s", text, messageId: "id1@x", ...over };
}

/** Timers run by hand: fire() runs every due callback. */
function manualTimers() {
  let id = 0;
  const due = new Map<number, () => void>();
  const t: Timers & { fire(): void; pending(): number } = {
    set(fn) {
      due.set(++id, fn);
      return id;
    },
    clear(i) {
      due.delete(i);
    },
    fire() {
      const fns = [...due.values()];
      due.clear();
      fns.forEach((f) => f());
    },
    pending: () => due.size,
  };
  return t;
}

interface FakeRequest {
  opts: HttpOptions;
  ev: HttpEvents;
  writes: string[];
  ended: boolean;
}

function fakeDoor(throwOnWrite?: string) {
  const reqs: FakeRequest[] = [];
  const door: HttpDoor = (opts, ev) => {
    const r: FakeRequest = { opts, ev, writes: [], ended: false };
    reqs.push(r);
    return {
      write(s) {
        if (throwOnWrite) throw new Error(throwOnWrite);
        r.writes.push(s);
      },
      end() {
        r.ended = true;
      },
    };
  };
  return { door, reqs };
}

function send(client: ReturnType<typeof createApiClient>, mails: ApiMail[], timers: ReturnType<typeof manualTimers>) {
  const out: { err: SmtpError | null; results: MailResult[] }[] = [];
  client.send(mails.map((m) => ({ content: m })), (err, results) => out.push({ err, results }));
  return () => {
    timers.fire();
    return out;
  };
}

/** Drains a request's writes to the end, then answers. */
function answer(r: FakeRequest, status: number, body: string) {
  for (let i = 0; i < 1000 && !r.ended; i++) r.ev.drain();
  r.ev.status(status);
  r.ev.data(body);
  r.ev.done(null);
}

describe("the API client", () => {
  it("writes a 20 KB alert in pieces of about 1 KB, each after the previous drained, with an exact Content-Length", () => {
    const timers = manualTimers();
    const { door, reqs } = fakeDoor();
    const written = "Température élevée 🔥 \"x\"\n".repeat(800);
    // On the board a string holds bytes: the UTF-8 of what the user wrote.
    const text = Buffer.from(written, "utf8").toString("latin1");
    const done = send(createApiClient(api, door, timers), [mail(text)], timers);
    const r = reqs[0];
    expect(r.writes).toHaveLength(1); // nothing more until drain
    answer(r, 200, '{"ErrorCode":0,"Message":"OK"}');
    const body = r.writes.join("");
    expect(Buffer.byteLength(body, "latin1")).toBe(r.opts.headers["Content-Length"]);
    expect(Math.max(...r.writes.map((w) => w.length))).toBeLessThanOrEqual(1024 + 6 * 512);
    expect(r.writes.length).toBeGreaterThan(20);
    // The board's strings are bytes: decode as UTF-8 to see what the provider sees.
    expect(JSON.parse(Buffer.from(body, "latin1").toString("utf8")).TextBody).toBe(written);
    expect(done()[0].results[0]).toMatchObject({ accepted: ["b@example.com"], response: "200 OK", error: null });
  });

  it("keeps going after a permanent refusal and stops at a transient one", () => {
    const timers = manualTimers();
    const { door, reqs } = fakeDoor();
    const done = send(createApiClient(api, door, timers), [mail("1"), mail("2"), mail("3")], timers);
    answer(reqs[0], 422, '{"ErrorCode":300,"Message":"Invalid \'To\' address"}');
    answer(reqs[1], 503, "<html>Service Unavailable</html>");
    expect(reqs).toHaveLength(2);
    const out = done()[0];
    expect(out.err?.message).toBe("postmark answered 503: <html>Service Unavailable</html>");
    expect(out.results.map((r) => [r.error?.responseCode, r.error?.transient])).toEqual([
      [422, false],
      [503, true],
    ]);
    expect(out.results[0].error!.message).toBe("postmark answered 422: Invalid 'To' address");
  });

  it("a connect failure thrown by the first write is a transient network error", () => {
    const timers = manualTimers();
    const { door } = fakeDoor("Unable to locate host");
    const done = send(createApiClient(api, door, timers), [mail("x")], timers);
    expect(done()[0].results[0].error).toMatchObject({ code: "ECONNECTION", transient: true, message: "network error: Unable to locate host" });
  });

  it("gives up a silent request after timeoutSeconds (transient), and ignores its late events", () => {
    const timers = manualTimers();
    const { door, reqs } = fakeDoor();
    const out: MailResult[][] = [];
    createApiClient({ ...api, timeoutSeconds: 5 }, door, timers).send([{ content: mail("x") }], (_e, r) => out.push(r));
    timers.fire(); // the request's timer
    timers.fire(); // done() is called from a fresh timer
    expect(out[0][0].error).toMatchObject({ transient: true, message: "network error: no answer in 5 s" });
    reqs[0].ev.status(200);
    reqs[0].ev.done(null);
    timers.fire();
    expect(out).toHaveLength(1);
  });

  it("a mail added while the batch runs is sent after the others, with its result in place; none is taken after the end", () => {
    const timers = manualTimers();
    const { door, reqs } = fakeDoor();
    const client = createApiClient(api, door, timers);
    const out: MailResult[][] = [];
    client.send([{ content: mail("1") }], (_e, r) => out.push(r));
    expect(client.add({ content: mail("2", { subject: "joined" }) })).toBe(true);
    answer(reqs[0], 200, "{}");
    answer(reqs[1], 200, "{}");
    timers.fire();
    expect(out[0].map((r) => r.error)).toEqual([null, null]);
    expect(JSON.parse(reqs[1].writes.join("")).Subject).toBe("joined");
    expect(client.add({ content: mail("3") })).toBe(false);
  });

  it("says it is idle once a batch's done() has run, not before", () => {
    const timers = manualTimers();
    const { door, reqs } = fakeDoor();
    const order: string[] = [];
    const client = createApiClient(api, door, timers, () => order.push("idle"));
    client.send([{ content: mail("1") }], () => order.push("done"));
    answer(reqs[0], 200, "{}");
    expect(order).toEqual([]);
    timers.fire();
    expect(order).toEqual(["done", "idle"]);
  });

  it("a status that arrived before the connection broke still decides (the provider answered)", () => {
    const timers = manualTimers();
    const { door, reqs } = fakeDoor();
    const done = send(createApiClient(api, door, timers), [mail("x")], timers);
    reqs[0].ev.status(202);
    reqs[0].ev.done({ code: -1, message: "connection closed" });
    expect(done()[0].results[0].error).toBeNull();
  });
});

describe("the request body", () => {
  it("escapes only quote, backslash and control bytes; UTF-8 bytes pass as they are", () => {
    const utf8 = Buffer.from("é日😀", "utf8").toString("latin1");
    expect(escapeJson(`a"b\\c\n\u0001${utf8}`)).toBe(`a\\"b\\\\c\\u000a\\u0001${utf8}`);
  });

  it("leaves out empty optional lists and wraps the others (postmark Cc/Bcc, sendgrid cc/bcc)", () => {
    const pm = compileApi({ provider: "postmark", key: "k" }, []).settings!;
    const whole = (a: typeof pm, m: ApiMail) => {
      const src = requestBody(a, m);
      let s = "";
      for (let p = src(); p !== null; p = src()) s += p;
      return JSON.parse(Buffer.from(s, "latin1").toString("utf8"));
    };
    expect(whole(pm, mail("t"))).not.toHaveProperty("Cc");
    const both = whole(pm, mail("t", { to: [{ name: "Zed", address: "z@example.com" }, { name: "", address: "y@example.com" }], cc: [{ name: "", address: "c@example.com" }] }));
    expect(both).toMatchObject({ To: '"Zed" <z@example.com>, y@example.com', Cc: "c@example.com" });
    const sg = compileApi({ provider: "sendgrid", key: "k" }, []).settings!;
    expect(whole(sg, mail("t")).personalizations[0]).toEqual({ to: [{ email: "b@example.com" }] });
  });

  it("reads a body stored in the outbox piece by piece, twice (Content-Length, then the request)", () => {
    const stored = Buffer.from("Zoë ".repeat(700) + "日本", "utf8").toString("latin1");
    let opened = 0;
    const m = mail("", {
      text: undefined,
      body: {
        html: true,
        open() {
          opened++;
          let o = 0;
          return () => (o < stored.length ? stored.slice(o, (o += 1024)) : null);
        },
      },
    });
    const timers = manualTimers();
    const { door, reqs } = fakeDoor();
    const done = send(createApiClient(api, door, timers), [m], timers);
    answer(reqs[0], 200, "{}");
    expect(opened).toBe(2);
    const sent = JSON.parse(Buffer.from(reqs[0].writes.join(""), "latin1").toString("utf8"));
    expect(sent.HtmlBody).toBe("Zoë ".repeat(700) + "日本");
    expect(done()[0].results[0].error).toBeNull();
  });

  it("the provider's message: Postmark, SendGrid, Mailgun, Resend, Mailtrap, or the start of the body", () => {
    expect(providerMessage('{"ErrorCode":406,"Message":"You tried to send to a recipient that has been marked as inactive."}')).toBe("You tried to send to a recipient that has been marked as inactive.");
    expect(providerMessage('{"errors":[{"message":"The from email does not contain a valid address.","field":"from.email","help":null}]}')).toBe("The from email does not contain a valid address.");
    expect(providerMessage('{"success":false,"errors":["\'from\' address is required"]}')).toBe("'from' address is required");
    expect(providerMessage('{"statusCode":422,"message":"Invalid `to` field.","name":"validation_error"}')).toBe("Invalid `to` field.");
    expect(providerMessage("Forbidden")).toBe("Forbidden");
  });
});
