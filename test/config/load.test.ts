// loadBoardConfig: the shipped board.json, defaults, the board.local.json overlay, ${NAME} secrets,
// hostile values, and the exact bytes written to the board.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import type { DeviceConfig } from "../../src/config.ts";
import { loadBoardConfig } from "../../tools/config/load.ts";
import { configToStorageString } from "../../tools/config/storage-string.ts";
import { ROOT } from "./cli.ts";

const NO_LOCAL = join(tmpdir(), "alertmail-no-such-board.local.json");

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Writes board.json (and board.local.json when given) into a fresh directory; returns the board.json path. */
function writeBoard(board: unknown, local?: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), "alertmail-board-"));
  dirs.push(dir);
  writeFileSync(join(dir, "board.json"), JSON.stringify(board));
  if (local !== undefined) writeFileSync(join(dir, "board.local.json"), JSON.stringify(local));
  return join(dir, "board.json");
}

const minimal = () => ({
  device: { name: "Pump House" },
  wifi: { ssid: "farm" },
  smtp: { host: "mail.example.com", from: "pump@example.com", to: ["me@example.com"] },
});

function load(board: unknown, env: NodeJS.ProcessEnv = {}, local?: unknown) {
  return loadBoardConfig({ file: writeBoard(board, local), env, year: 2026 });
}

function expectOk(r: ReturnType<typeof loadBoardConfig>): DeviceConfig {
  if (!r.ok) throw new Error(`expected ok, got:\n${r.errors.join("\n")}`);
  return r.config;
}

function expectErrors(r: ReturnType<typeof loadBoardConfig>): string[] {
  if (r.ok) throw new Error("expected errors, got a config");
  return r.errors;
}

describe("the shipped board.json", () => {
  test("loads with no environment and no overlay", () => {
    const c = expectOk(loadBoardConfig({ file: join(ROOT, "board.json"), localFile: NO_LOCAL, env: {} }));
    expect(c.device.timezone).toMatch(/^CET-1CEST,M3\.5\.0,M10\.5\.0\/3$/);
    expect(c.smtp).toMatchObject({ port: 465, security: "tls", user: "alarm@example.com", password: "demo-password" });
    expect(c.smtp.from.address).toMatch(/@example\.com$/);
    expect(c.alerts.map((a) => a.kind).sort()).toEqual(["analog", "boot", "digital", "heartbeat"]);
    expect(new Set(c.alerts.map((a) => a.format))).toEqual(new Set(["text", "html"]));
    const analog = c.alerts.find((a) => a.kind === "analog");
    expect(analog).toMatchObject({ scale: expect.any(Number), offset: expect.any(Number), unit: expect.any(String) });
    expect(analog?.kind === "analog" && analog.unit).not.toBe("");
  });

  test("is what the default call loads when no board.local.json is present", () => {
    const r = loadBoardConfig({ localFile: NO_LOCAL, env: {} });
    expect(r.ok).toBe(true);
  });
});

test("fills every default for a minimal board", () => {
  const c = expectOk(
    load({
      ...minimal(),
      alerts: [
        { kind: "digital", name: "door", pin: "D4" },
        { kind: "analog", name: "tank", pin: "D36", below: 0.2 },
        { kind: "heartbeat", name: "daily" },
        { kind: "boot", name: "restart" },
      ],
    }),
  );
  const common = { format: "text", maxPerHour: 0, to: [], digest: false };
  const expected: DeviceConfig = {
    device: { name: "Pump House", timezone: "UTC0", watchdogSeconds: 30, ntpServer: "pool.ntp.org" },
    wifi: { ssid: "farm", password: "" },
    smtp: {
      host: "mail.example.com",
      port: 465,
      security: "tls",
      user: "",
      password: "",
      trustedRelay: false,
      from: { name: "", address: "pump@example.com" },
      to: [{ name: "", address: "me@example.com" }],
      cc: [],
      bcc: [],
      helo: "pump-house.local",
      keepAliveSeconds: 0,
      timeoutSeconds: 30,
    },
    alerts: [
      {
        kind: "digital",
        name: "door",
        subject: "{{device}}: {{name}} {{state}}",
        body: "{{name}} is {{state}} ({{time}}).",
        cooldownSeconds: 60,
        ...common,
        format: "text",
        pin: "D4",
        pull: "up",
        edge: "both",
        debounceMs: 50,
      },
      {
        kind: "analog",
        name: "tank",
        subject: "{{device}}: {{name}} {{state}} ({{value}}{{unit}})",
        body: "{{name}} reads {{value}}{{unit}}: {{state}} ({{time}}).",
        cooldownSeconds: 60,
        ...common,
        format: "text",
        pin: "D36",
        above: null,
        below: 0.2,
        hysteresis: 0,
        sampleMs: 1000,
        scale: 1,
        offset: 0,
        unit: "",
      },
      {
        kind: "heartbeat",
        name: "daily",
        subject: "{{device}}: heartbeat",
        body: "{{device}} is alive ({{time}}, {{ip}}); {{count}} alerts sent.",
        cooldownSeconds: 0,
        ...common,
        format: "text",
        everyHours: 24,
      },
      {
        kind: "boot",
        name: "restart",
        subject: "{{device}} restarted",
        body: "{{device}} restarted: {{state}} ({{time}}).",
        cooldownSeconds: 0,
        ...common,
        format: "text",
      },
    ],
    outbox: { max: 20, retrySeconds: 30, maxRetrySeconds: 3600, coalesceSeconds: 0 },
    sketch: { loopMs: 0 },
  };
  expect(c).toEqual(expected);
});

test('a "plain" relay defaults to port 25 and may AUTH only as a trusted relay', () => {
  const board = minimal();
  Object.assign(board.smtp, { security: "plain", host: "192.168.1.2" });
  expect(expectOk(load(board)).smtp.port).toBe(25);
  Object.assign(board.smtp, { user: "u", password: "p" });
  expect(expectErrors(load(board))[0]).toMatch(/^smtp\.user: AUTH over security "plain"/);
  Object.assign(board.smtp, { trustedRelay: true });
  expect(expectOk(load(board)).smtp).toMatchObject({ port: 25, user: "u", password: "p", trustedRelay: true });
});

test("a key of another alert kind is named as such", () => {
  const errors = expectErrors(
    load({ ...minimal(), alerts: [{ kind: "digital", name: "door", pin: "D4", above: 3 }, { kind: "heartbeat", name: "hb", pin: "D4" }] }),
  );
  expect(errors).toEqual([
    'alerts[0].above: unknown key for kind "digital"; "above" belongs to "analog" rules (expected one of: kind, name, subject, body, format, cooldownSeconds, maxPerHour, to, digest, pin, pull, edge, debounceMs)',
    'alerts[1].pin: unknown key for kind "heartbeat"; "pin" belongs to "digital" or "analog" rules (expected one of: kind, name, subject, body, format, cooldownSeconds, maxPerHour, to, digest, everyHours)',
  ]);
});

describe("board.local.json overlay", () => {
  test("merges objects key by key and replaces arrays", () => {
    const c = expectOk(
      load(
        { ...minimal(), alerts: [{ kind: "boot", name: "restart" }] },
        {},
        {
          wifi: { password: "real-wifi-secret" },
          smtp: { user: "pump@example.com", password: "real-smtp-secret", to: ["other@example.org"] },
          alerts: [{ kind: "heartbeat", name: "weekly", everyHours: 168 }],
        },
      ),
    );
    expect(c.wifi).toEqual({ ssid: "farm", password: "real-wifi-secret" });
    expect(c.smtp.host).toBe("mail.example.com");
    expect(c.smtp.password).toBe("real-smtp-secret");
    expect(c.smtp.to).toEqual([{ name: "", address: "other@example.org" }]);
    expect(c.alerts.map((a) => a.name)).toEqual(["weekly"]);
  });

  test("an explicit localFile is used instead of the neighbour", () => {
    const file = writeBoard(minimal(), { wifi: { ssid: "ignored" } });
    const other = join(dirs[dirs.length - 1], "elsewhere.json");
    writeFileSync(other, JSON.stringify({ wifi: { ssid: "chosen" } }));
    expect(expectOk(loadBoardConfig({ file, localFile: other, env: {} })).wifi.ssid).toBe("chosen");
  });

  test("its errors are reported like board.json's, with the key path, and name board.local.json", () => {
    const errors = expectErrors(load(minimal(), {}, { smtp: { prot: 2525 } }));
    expect(errors).toEqual([expect.stringMatching(/^board\.local\.json: smtp\.prot: unknown key; did you mean "port"\?/)]);
  });
});

describe("${NAME} secrets", () => {
  test("are resolved from the environment, whole or inside a string, and $$ is a literal $", () => {
    const board = minimal();
    Object.assign(board.wifi, { password: "${WIFI_PASS}" });
    Object.assign(board.smtp, { user: "${SMTP_USER}@example.com", password: "pa$$${SMTP_PASS}" });
    const c = expectOk(load(board, { WIFI_PASS: "correct horse", SMTP_USER: "pump", SMTP_PASS: "word" }));
    expect(c.wifi.password).toBe("correct horse");
    expect(c.smtp.user).toBe("pump@example.com");
    expect(c.smtp.password).toBe("pa$word");
  });

  test("a number or boolean may come from a whole-value placeholder", () => {
    const board: any = minimal();
    board.smtp.port = "${SMTP_PORT}";
    board.smtp.security = "plain";
    board.smtp.trustedRelay = "${TRUSTED}";
    const c = expectOk(load(board, { SMTP_PORT: "2525", TRUSTED: "true" }));
    expect(c.smtp.port).toBe(2525);
    expect(c.smtp.trustedRelay).toBe(true);
  });

  test("each unset variable is named once, and nothing else is said about that value", () => {
    const board: any = minimal();
    board.smtp.port = "${SMTP_PORT}";
    board.smtp.from = "${FROM}";
    board.wifi.password = "${WIFI_PASSWORD}";
    expect(expectErrors(load(board, { FROM: "pump@example.com" }))).toEqual([
      'wifi.password: environment variable WIFI_PASSWORD is not set (the value is "${WIFI_PASSWORD}"); set WIFI_PASSWORD in the environment, or put the value in board.local.json',
      'smtp.port: environment variable SMTP_PORT is not set (the value is "${SMTP_PORT}"); set SMTP_PORT in the environment, or put the value in board.local.json',
    ]);
  });

  test("a resolved secret is never echoed in an error", () => {
    const board = minimal();
    Object.assign(board.smtp, { user: "pump", password: "${SMTP_PASS}" });
    const errors = expectErrors(load(board, { SMTP_PASS: "hunter2-secret\r\nRCPT TO:<x@evil.example>" }));
    expect(errors).toEqual([
      "smtp.password: found text of 40 characters (hidden) with a line break (CR or LF); expected one line: a line break here could forge mail headers or SMTP commands",
    ]);
    expect(errors.join("\n")).not.toContain("hunter2");
  });
});

describe("hostile values", () => {
  const withAlert = (alert: object) => ({ ...minimal(), alerts: [{ kind: "boot", name: "restart", ...alert }] });

  test.each([
    ["device name", { ...minimal(), device: { name: "Pump\r\nBcc: x@evil.example" } }, /^device\.name: found .* with a line break/],
    ["rule name", withAlert({ name: "restart\nX-Evil: 1" }), /^alerts\[0\]\.name: found .* with a line break/],
    ["subject", withAlert({ subject: "hi\rRCPT TO:<x@evil.example>" }), /^alerts\[0\]\.subject: found .* with a line break/],
    ["unit", { ...minimal(), alerts: [{ kind: "analog", name: "t", pin: "D34", above: 1, unit: "°C\n" }] }, /^alerts\[0\]\.unit: found .* with a line break/],
    ["display name", { ...minimal(), smtp: { ...minimal().smtp, from: '"Pump\r\nBcc: x@evil.example" <pump@example.com>' } }, /^smtp\.from: found .*it contains a line break/],
    ["address", { ...minimal(), smtp: { ...minimal().smtp, to: ["me@example.com\r\nDATA"] } }, /^smtp\.to\[0\]: found .*line break/],
    ["NUL in a body", withAlert({ body: "a\u0000b" }), /^alerts\[0\]\.body: found .* with a NUL character/],
    ["escape character in a name", { ...minimal(), device: { name: "Pump\u001b[2J" } }, /^device\.name: found .* with a control character/],
    ["lone surrogate", { ...minimal(), device: { name: "Pump \ud800" } }, /^device\.name: found text that is not valid Unicode/],
    ["SMTP host with a space", { ...minimal(), smtp: { ...minimal().smtp, host: "mail.example.com MAIL" } }, /^smtp\.host: found .* expected a host name/],
    ["helo with a space", { ...minimal(), smtp: { ...minimal().smtp, helo: "x y" } }, /^smtp\.helo: found "x y"/],
  ])("a %s that could inject is refused", (_, board, message) => {
    const errors = expectErrors(load(board));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(message);
  });

  test("a multi-line body, HTML and non-ASCII names are fine (escaping is the firmware's job)", () => {
    const c = expectOk(
      load({
        ...minimal(),
        device: { name: "Café <b>&</b> “Nord”" },
        smtp: { ...minimal().smtp, from: '"Dupont, Zoé" <pump@example.com>' },
        alerts: [{ kind: "boot", name: "redémarrage", format: "html", body: "<p>{{device}}</p>\r\n<p>{{state}}</p>" }],
      }),
    );
    expect(c.device.name).toBe("Café <b>&</b> “Nord”");
    expect(c.smtp.from).toEqual({ name: "Dupont, Zoé", address: "pump@example.com" });
    expect(c.smtp.helo).toBe("cafe-b-b-nord.local");
  });
});

describe("configToStorageString", () => {
  test("is compact JSON that reads back to the same config", () => {
    const c = expectOk(loadBoardConfig({ file: join(ROOT, "board.json"), localFile: NO_LOCAL, env: {} }));
    const s = configToStorageString(c);
    expect(s).not.toMatch(/\n|": /);
    expect(JSON.parse(s)).toEqual(c);
  });

  test("keeps non-ASCII as raw UTF-8 bytes (a \\u escape would become one byte on the board)", () => {
    const c = expectOk(load({ ...minimal(), device: { name: "Café €" } }));
    const bytes = Buffer.from(configToStorageString(c), "utf8");
    expect(bytes.includes(Buffer.from("Caf\xc3\xa9 \xe2\x82\xac", "latin1"))).toBe(true);
    expect(bytes.toString("latin1")).not.toContain("\\u");
  });
});
