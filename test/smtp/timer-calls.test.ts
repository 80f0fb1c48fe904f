// The SMTP client's timer cost: one timer per connection whose deadline moves, not a timer call per
// reply; and the deadline still counts from the last reply when the server is slow.
import { describe, expect, it } from "vitest";
import type { Transport } from "../../src/platform/socket.ts";
import { steadyTimers } from "../../src/platform/timers.ts";
import { createSmtpClient } from "../../src/smtp/client.ts";
import { createFake, mail, type FakeOptions } from "../support/smtp-fake.ts";

function counted(ext: string[], keepAliveSeconds = 0, f: FakeOptions = {}, delayMs = 0) {
  const fake = createFake({ user: "u@x.test", password: "pw", ext, ...f });
  // delayMs > 0: every chunk the server sends reaches the client that much later (a slow server).
  const lastData = { at: -1 };
  const transport: Transport = delayMs
    ? {
        connect(host, port, secure, h) {
          return fake.transport.connect(host, port, secure, {
            ...h,
            data(d) {
              fake.timers.set(() => {
                lastData.at = fake.timers.now();
                h.data(d);
              }, delayMs);
            },
            close(e) {
              fake.timers.set(() => h.close(e), delayMs);
            },
          });
        },
      }
    : fake.transport;
  const calls = { set: 0, clear: 0 };
  const t = fake.timers;
  const timers = {
    set: (fn: () => void, ms: number) => (calls.set++, t.set(fn, ms)),
    clear: (id: any) => (calls.clear++, t.clear(id)),
    now: t.now,
  };
  const client = createSmtpClient(
    { host: "127.0.0.1", port: 465, security: "tls", user: "u@x.test", password: "pw", trustedRelay: false, helo: "board.local", keepAliveSeconds, timeoutSeconds: 10 },
    transport,
    timers,
  );
  return { fake, client, calls, lastData };
}

const body = ["Subject: hi\r\n\r\n", "x".repeat(5000) + "\r\n"];

describe("timer calls", () => {
  for (const ext of [["PIPELINING", "AUTH PLAIN"], ["PIPELINING", "CHUNKING", "AUTH PLAIN"], ["AUTH PLAIN"]]) {
    it("sends one message with " + (ext.join(" ") || "no extensions") + " in at most 4 timer calls", () => {
      const { fake, client, calls } = counted(ext);
      const r = fake.send(client, [mail("a@x.test", ["b@y.test", "c@y.test", "d@y.test"], body)]);
      expect(r.err).toBeNull();
      expect(fake.messages).toHaveLength(1);
      // The reply timer once (and cleared once at the end), the done callback once.
      expect(calls.set + calls.clear).toBeLessThanOrEqual(4);
      expect(fake.timers.pending()).toBe(0);
    });
  }

  it("sends three messages on a kept-alive connection in at most 4 timer calls each", () => {
    const { fake, client, calls } = counted(["PIPELINING", "AUTH PLAIN"], 60);
    for (let i = 0; i < 3; i++) expect(fake.send(client, [mail("a@x.test", ["b@y.test"], body)]).err).toBeNull();
    expect(calls.set + calls.clear).toBeLessThanOrEqual(12);
    client.close();
    expect(fake.timers.pending()).toBe(0);
  });

  it("delivers through a server that answers each step after 6 s of a 10 s timeout", () => {
    const { fake, client, lastData } = counted(["PIPELINING", "AUTH PLAIN"], 0, {}, 6000);
    const r = fake.send(client, [mail("a@x.test", ["b@y.test"], body)]);
    expect(r.err).toBeNull();
    expect(fake.messages).toHaveLength(1);
    // greeting, EHLO, AUTH, envelope group, "." + QUIT: well past one timeout in all.
    expect(lastData.at).toBeGreaterThanOrEqual(4 * 6000);
    expect(fake.timers.pending()).toBe(0);
  });

  it("times out a slow server exactly 10 s after its last reply, at every step", () => {
    for (const verb of ["EHLO", "AUTH", "RCPT", "DATA", "."]) {
      const { fake, client, lastData } = counted(["PIPELINING", "AUTH PLAIN"], 0, { reply: (v) => (v === verb ? "SILENT" : undefined) }, 6000);
      const r = fake.send(client, [mail("a@x.test", ["b@y.test"], body)]);
      expect(r.err).toMatchObject({ code: "ETIMEDOUT" });
      expect(lastData.at).toBeGreaterThan(0);
      expect(fake.timers.now() - lastData.at).toBe(10000);
      fake.advance(6000); // the slow close event
      expect(fake.timers.pending()).toBe(0);
    }
  });

  it("neither times out early nor hangs when SNTP steps the wall clock 50 years forward mid-session", () => {
    for (const verb of ["none", "RCPT"]) {
      const fake = createFake({ user: "u@x.test", password: "pw", ext: ["PIPELINING", "AUTH PLAIN"], reply: (v) => (v === verb ? "SILENT" : undefined) });
      let offset = 0;
      let chunks = 0;
      let lastData = -1;
      const timers = steadyTimers({ set: fake.timers.set, clear: fake.timers.clear }, () => fake.timers.now() + offset);
      const transport: Transport = {
        connect(host, port, secure, h) {
          return fake.transport.connect(host, port, secure, {
            ...h,
            data(d) {
              fake.timers.set(() => {
                lastData = fake.timers.now();
                h.data(d);
                // The step lands right after the EHLO reply armed its deadline (the board syncs once WiFi is up).
                if (++chunks === 2) offset += 50 * 365 * 86400000;
              }, 6000);
            },
            close(e) {
              fake.timers.set(() => h.close(e), 6000);
            },
          });
        },
      };
      const client = createSmtpClient(
        { host: "127.0.0.1", port: 465, security: "tls", user: "u@x.test", password: "pw", trustedRelay: false, helo: "board.local", keepAliveSeconds: 0, timeoutSeconds: 10 },
        transport,
        timers,
      );
      const r = fake.send(client, [mail("a@x.test", ["b@y.test"], body)]);
      expect(chunks).toBeGreaterThan(2);
      if (verb === "none") {
        expect(r.err).toBeNull();
        expect(fake.messages).toHaveLength(1);
      } else {
        expect(r.err).toMatchObject({ code: "ETIMEDOUT", command: "RCPT" });
        // Not before the timeout (a step only ever delays a timer).
        expect(fake.timers.now() - lastData).toBeGreaterThanOrEqual(10000);
      }
    }
  });
});
