// board.json's api section: what the validator says about each preset, and what it compiles into.
import { describe, expect, it } from "vitest";
import { validateBoard } from "../../tools/config/validate.ts";
import { PRESET_REQUIRED, PROVIDERS } from "../../tools/config/api-spec.ts";
import type { ApiSettings } from "../../src/api/settings.ts";

const base = () => ({
  device: { name: "Garage" },
  wifi: { ssid: "home" },
  smtp: { from: "Garage <alarm@example.com>", to: ["Owner <owner@example.com>"] },
});

function check(api: object, extra: object = {}) {
  return validateBoard({ ...base(), ...extra, api });
}

describe("the api section", () => {
  it.each(PROVIDERS.filter((p) => p !== "generic"))("%s: a key is all it needs, and smtp.host may be left out", (provider) => {
    const r = check({ provider, key: "secret-key-1", ...(provider === "mailgun" ? { domain: "mg.example.com" } : {}) });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const api = (r.config as unknown as { api: ApiSettings }).api;
    expect(api.provider).toBe(provider);
    expect(api.tls).toBe(1);
    expect(api.port).toBe(443);
    // Not the "host:443" the board would write by itself.
    expect(api.headers.Host).toBe(api.host);
    expect(JSON.stringify(api.headers)).toContain(provider === "mailgun" ? Buffer.from("api:secret-key-1").toString("base64") : "secret-key-1");
  });

  it.each(PROVIDERS)("%s: each missing required key is named, with what the preset needs", (provider) => {
    const r = check({ provider });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    for (const k of PRESET_REQUIRED[provider]) {
      expect(r.errors.some((e) => e.startsWith(`api.${k}: missing; the "${provider}" preset needs`))).toBe(true);
    }
  });

  it("says which keys a preset does not use", () => {
    const r = check({ provider: "resend", key: "k-123456", domain: "mg.example.com" });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors).toEqual([expect.stringMatching(/^api\.domain: not used by the "resend" preset/)]);
  });

  it("never echoes the key in an error", () => {
    const r = check({ provider: "postmark", key: "" });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors).toContain("api.key: found text of 0 characters (hidden); expected one line of text (not empty)");
    const s = check({ provider: "postmarc", key: "top-secret-value" });
    expect(s.ok).toBe(false);
    if (!s.ok) {
      expect(s.errors.join("\n")).toContain('did you mean "postmark"?');
      expect(s.errors.join("\n")).not.toContain("top-secret-value");
    }
  });

  it("refuses a display name with a quote for presets that quote names", () => {
    const r = validateBoard({ ...base(), smtp: { ...base().smtp, to: ['"Al \\"the boss\\"" <al@example.com>'] }, api: { provider: "postmark", key: "k-123456" } });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]).toMatch(/^smtp\.to\[0\]: the display name .* has " or \\/);
  });

  it("generic: checks the header line, the placeholders and that the template is JSON once filled in", () => {
    const bad = check({ provider: "generic", url: "https://x.example/send", header: "Bearer abc", template: '{"to":[{{to}}],"subject":"{{subjekt}}","text":"{{body}}"' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.errors).toContain('api.header: expected one header line "Name: value", e.g. "Authorization: Bearer {{key}}"');
      expect(bad.errors.some((e) => e.startsWith("api.template: unknown placeholder {{subjekt}}"))).toBe(true);
    }
    const notJson = check({ provider: "generic", url: "https://x.example/send", header: "X-Key: {{key}}", key: "k", template: '{"to":[{{to}}],"subject":{{subject}},"text":"{{body}}"}' });
    expect(notJson.ok).toBe(false);
    if (!notJson.ok) expect(notJson.errors[0]).toMatch(/^api\.template: is not valid JSON once filled in/);
    const ok = check({ provider: "generic", url: "https://x.example:8443/v1/send?x=1", header: "X-Key: {{key}}", key: "k9", template: '{"to":[{{to}}],"subject":"{{subject}}","text":"{{body}}"}' });
    expect(ok.ok).toBe(true);
    if (ok.ok) {
      const api = (ok.config as unknown as { api: ApiSettings }).api;
      expect(api).toMatchObject({ host: "x.example", port: 8443, path: "/v1/send?x=1", tls: 1, headers: { "X-Key": "k9" } });
    }
  });

  it("a url override points any preset elsewhere (http only when written so)", () => {
    const r = check({ provider: "postmark", key: "k-123456", url: "http://192.168.1.5:8080/email" });
    expect(r.ok).toBe(true);
    if (r.ok) expect((r.config as unknown as { api: ApiSettings }).api).toMatchObject({ host: "192.168.1.5", port: 8080, path: "/email", tls: 0 });
  });

  it("the shipped board.json's $comment is not sent to the board", () => {
    const r = validateBoard({ $comment: "note", ...base(), smtp: { ...base().smtp, host: "smtp.example.com" } });
    expect(r.ok).toBe(true);
    if (r.ok) expect(Object.keys(r.config)).not.toContain("$comment");
  });
});

describe("the key stays out of the bundle", () => {
  it("the build's secret check is given the key as each preset carries it (never the content type)", async () => {
    const { apiSecrets } = await import("../../tools/config/api-spec.ts");
    const r = check({ provider: "mailgun", key: "mg-secret-key", domain: "mg.example.com" });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(apiSecrets(r.config)).toEqual([["api.key (header Authorization)", `Basic ${Buffer.from("api:mg-secret-key").toString("base64")}`]]);
    const pm = check({ provider: "postmark", key: "pm-secret-key" });
    if (pm.ok) expect(apiSecrets(pm.config).map((x) => x[1])).toEqual(["pm-secret-key"]);
  });
});

describe("the simulator's mock for a compiled preset", () => {
  it("expects what the preset sends: mailtrap's sandbox inbox path, mailgun's domain, the key as presented", async () => {
    const { sinkOptionsFor } = await import("../../host-sim/api/run.ts");
    const mt = check({ provider: "mailtrap", key: "mt-key-1", inbox: "12345" });
    const mg = check({ provider: "mailgun", key: "mg-key-1", domain: "mg.example.com" });
    if (!mt.ok || !mg.ok) throw new Error("preset did not compile");
    const api = (c: object) => (c as { api: ApiSettings }).api;
    expect(api(mt.config)).toMatchObject({ host: "sandbox.api.mailtrap.io", path: "/api/send/12345" });
    expect(sinkOptionsFor(api(mt.config))).toMatchObject({ provider: "mailtrap", key: "mt-key-1", path: "/api/send/12345" });
    expect(sinkOptionsFor(api(mg.config))).toMatchObject({ provider: "mailgun", key: "mg-key-1", domain: "mg.example.com" });
  });
});
