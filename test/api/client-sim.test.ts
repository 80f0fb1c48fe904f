// The firmware's API client (src/api/) run on the simulated board against each provider's embedded
// HTTPS mock: the bytes that reach the provider, and what the client makes of each answer.
import { afterEach, describe, expect, it } from "vitest";
import { startApiSink, type ApiSink } from "../../host-sim/api/api-sink.ts";
import type { ProviderName } from "../../host-sim/api/providers.ts";
import type { BoardApi } from "../../tools/config/api-spec.ts";
import type { ApiMail } from "../../src/api/request-body.ts";
import { ACCENTS, CJK, EMOJI, presetAt, runOnSim } from "./helpers.ts";

const KEY = "test-key-123";
const presets: { provider: ProviderName; api: BoardApi; path?: string }[] = [
  { provider: "postmark", api: { provider: "postmark", key: KEY } },
  { provider: "mailtrap", api: { provider: "mailtrap", key: KEY } },
  { provider: "sendgrid", api: { provider: "sendgrid", key: KEY } },
  { provider: "mailgun", api: { provider: "mailgun", key: KEY, domain: "mg.example.com" } },
  { provider: "resend", api: { provider: "resend", key: KEY } },
  {
    provider: "generic",
    api: { provider: "generic", key: KEY, url: "https://api.example.net/send", header: "Authorization: Token {{key}}", template: '{"from":{{from}},"to":[{{to}}],"cc":[{{cc}}],"bcc":[{{bcc}}],"subject":"{{subject}}","{{kind}}":"{{body}}","ref":"{{id}}"}' },
  },
];

function mail(over: Partial<ApiMail> = {}): ApiMail {
  return {
    from: { name: "Garage alarm", address: "alarm@example.com" },
    to: [{ name: "Zoé Owner", address: "owner@example.com" }],
    cc: [],
    bcc: [],
    subject: `${EMOJI} ${ACCENTS}`,
    text: `${ACCENTS}\n${CJK}\n${EMOJI}\nquote " backslash \\ tab\tend`,
    messageId: "lx2k.9f3@garage.local",
    ...over,
  };
}

let sink: ApiSink | undefined;
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

function start(p: (typeof presets)[number], faults: Parameters<typeof startApiSink>[0]["faults"] = []) {
  return startApiSink({ provider: p.provider, key: KEY, domain: "mg.example.com", path: "/send", header: `Authorization: Token ${KEY}`, faults });
}

describe.each(presets)("$provider preset on the simulated board", (p) => {
  it("delivers accents, CJK and emoji as the characters written, with cc and bcc", async () => {
    sink = await start(p);
    const m = mail({ cc: [{ name: "", address: "cc@example.com" }], bcc: [{ name: "Hidden", address: "bcc@example.com" }] });
    const { result } = await runOnSim(presetAt(p.api, sink.port), [m]);
    expect(result.err).toBeNull();
    expect(result.results).toHaveLength(1);
    expect(result.results[0].error).toBeNull();
    expect(result.results[0].accepted).toEqual(["owner@example.com", "cc@example.com", "bcc@example.com"]);
    const got = sink.messages[0];
    expect(got.parsed.subject).toBe(m.subject);
    expect(got.parsed.text?.trim()).toBe(m.text!.trim());
    expect(got.envelope.to).toEqual(["owner@example.com", "cc@example.com", "bcc@example.com"]);
    const to = got.parsed.to as { value: { name: string; address: string }[] };
    expect(to.value[0]).toEqual({ name: "Zoé Owner", address: "owner@example.com" });
    // Content-Length was exact (Node's parser would otherwise have cut or waited).
    expect(Number(sink.requests[0].headers["content-length"])).toBe(sink.requests[0].body.length);
  });

  it("sends an HTML alert as HTML", async () => {
    sink = await start(p);
    const html = `<p>${ACCENTS} <b>${CJK}</b> ${EMOJI}</p>`;
    const { result } = await runOnSim(presetAt(p.api, sink.port), [mail({ text: undefined, html })]);
    expect(result.results[0].error).toBeNull();
    expect(sink.messages[0].parsed.html).toContain(html);
  });

  it("reports 401 with the provider's message and does not call it transient", async () => {
    sink = await start(p, [{ status: 401 }]);
    const { result } = await runOnSim(presetAt(p.api, sink.port), [mail(), mail()]);
    expect(result.results[0].error).toMatchObject({ status: 401, transient: false });
    const answer = sink.requests[0].answer;
    const expected = typeof answer === "string" ? answer : JSON.stringify(answer).match(/essage":"([^"]*)/)?.[1] ?? JSON.stringify(answer).match(/rrors":\["([^"]*)/)?.[1];
    expect(result.results[0].error!.message).toContain(expected);
    // A permanent refusal of one mail does not stop the batch: the next one was sent and delivered.
    expect(result.results).toHaveLength(2);
    expect(result.results[1].error).toBeNull();
    expect(sink.messages).toHaveLength(1);
  });

  it("reports 422 as permanent with the provider's message", async () => {
    sink = await start(p, [{ status: 422, message: "Invalid 'To' address: ünknown" }]);
    const { result } = await runOnSim(presetAt(p.api, sink.port), [mail()]);
    expect(result.results[0].error).toMatchObject({ status: 422, transient: false });
    expect(result.results[0].error!.message).toContain("Invalid 'To' address: ünknown".replace("ü", "\u00c3\u00bc"));
  });

  it("calls 429 transient and stops the batch; the next attempt succeeds", async () => {
    sink = await start(p, [{ status: 429 }]);
    const api = presetAt(p.api, sink.port);
    const first = await runOnSim(api, [mail(), mail({ subject: "second", messageId: "second.1@garage.local" })]);
    expect(first.result.err).toContain("429");
    expect(first.result.results).toHaveLength(1);
    expect(first.result.results[0].error).toMatchObject({ status: 429, transient: true });
    expect(sink.requests).toHaveLength(1);
    const again = await runOnSim(api, [mail(), mail({ subject: "second", messageId: "second.1@garage.local" })]);
    expect(again.result.err).toBeNull();
    expect(again.result.results.map((r) => r.error)).toEqual([null, null]);
    expect(sink.messages.map((x) => x.parsed.subject)).toEqual([mail().subject, "second"]);
  });

  it("calls a dropped connection transient (no answer), then sends on the next attempt", async () => {
    sink = await start(p, [{ drop: true }]);
    const api = presetAt(p.api, sink.port);
    const first = await runOnSim(api, [mail()]);
    expect(first.result.results[0].error).toMatchObject({ status: 0, transient: true, code: "ECONNECTION" });
    expect(sink.messages).toHaveLength(0);
    const again = await runOnSim(api, [mail()]);
    expect(again.result.results[0].error).toBeNull();
    expect(sink.messages).toHaveLength(1);
  });
});
