// Every invalid board.json fixture is refused with a message naming the key, what was found and what is
// expected, and the check CLI exits non-zero without writing anything.
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { loadBoardConfig } from "../../tools/config/load.ts";
import { bundledCheck, FIXTURES, ROOT, runCheck } from "./cli.ts";

const STARTTLS = "the Espruino network stack cannot upgrade an open socket to TLS";

/** fixture → the exact error lines it must produce (all of them, in order). */
const EXPECTED: Record<string, string[]> = {
  "invalid-missing-key": ["smtp.host: missing; expected one line of text: SMTP server host name or IP address."],
  "invalid-wrong-type": ['smtp.port: found "465" (text); expected an integer from 1 to 65535'],
  "invalid-unknown-key": [
    'smtp.pasword: unknown key; did you mean "password"? (expected one of: host, port, security, user, password, trustedRelay, from, to, cc, bcc, helo, keepAliveSeconds, timeoutSeconds)',
  ],
  "invalid-bad-address": [
    'smtp.to[0]: found "owner at example.com" (text); expected an email address like "alarm@example.com" or "Garage <alarm@example.com>" (it contains a space)',
  ],
  "invalid-port-0": ["smtp.port: found 0 (number); expected an integer from 1 to 65535"],
  "invalid-port-70000": ["smtp.port: found 70000 (number); expected an integer from 1 to 65535"],
  "invalid-starttls": [
    `smtp.security: found "starttls" (text); expected "tls" or "plain" (${STARTTLS}, so STARTTLS is impossible (docs/espruino.md §2): use port 465 with security "tls" (implicit TLS, RFC 8314), or a relay on your LAN with security "plain")`,
  ],
  "invalid-port-587": [
    `smtp.port: found 587 (the STARTTLS submission port); ${STARTTLS}, so STARTTLS is impossible (docs/espruino.md §2): use port 465 with security "tls" (implicit TLS, RFC 8314), or a relay on your LAN with security "plain"`,
  ],
  "invalid-crlf-subject": [
    'alerts[0].subject: found "Door open\\r\\nBcc: victim@example.net" (text) with a line break (CR or LF); expected one line: a line break here could forge mail headers or SMTP commands',
  ],
  "invalid-unresolved-var": [
    'smtp.password: environment variable ALERTMAIL_TEST_UNSET_PASSWORD is not set (the value is "${ALERTMAIL_TEST_UNSET_PASSWORD}"); set ALERTMAIL_TEST_UNSET_PASSWORD in the environment, or put the value in board.local.json',
  ],
  "invalid-top-level-heartbeat": [
    'heartbeat: unknown key; the heartbeat is an alert kind: add {"kind": "heartbeat", "name": "daily", "everyHours": 24} to alerts[]',
  ],
  "invalid-smtputf8-address": [
    'smtp.to[0]: found "Jörg <jörg@example.com>" (text); expected an email address like "alarm@example.com" or "Garage <alarm@example.com>" (it has non-ASCII characters: internationalised (SMTPUTF8, RFC 6531) addresses are not supported, use an ASCII address)',
  ],
  "invalid-465-plain": [
    'smtp.port: found 465 with security "plain"; expected security "tls": port 465 speaks TLS from the first byte (RFC 8314 §3.3)',
    'smtp.user: AUTH over security "plain" would send the password unencrypted; expected security "tls", or "trustedRelay": true for a relay on your own LAN',
  ],
  "invalid-auth-over-plain": [
    'smtp.user: AUTH over security "plain" would send the password unencrypted; expected security "tls", or "trustedRelay": true for a relay on your own LAN',
  ],
  "invalid-user-without-password": [
    'smtp.password: missing; expected the password for smtp.user "shed@example.com" (or remove user to send without AUTH)',
  ],
  "invalid-placeholder": [
    'alerts[0].body: found unknown placeholder "{{stat}}"; did you mean "{{state}}"? Expected one of: {{device}} {{name}} {{value}} {{unit}} {{state}} {{time}} {{count}} {{ip}}',
  ],
  "invalid-alerts": [
    'alerts[1].name: found "door" again (alerts[0] has it); expected a unique rule name',
    'alerts[1].pin: found "D7" (text); expected a free GPIO (D6..D11 are wired to the SPI flash)',
    'alerts[2].pin: found "D4" (text); expected an ADC1 pin D32..D39 (ADC2 pins cannot be read while WiFi is on)',
    "alerts[2].above: missing; an analog rule needs above or below (or both): the threshold that raises the alert",
    'alerts[3].kind: found "digitl" (text); expected one of "digital", "analog", "heartbeat", "boot" (did you mean "digital"?)',
    'alerts[4].pull: found "up" on D35; expected "none": D34..D39 have no internal pull resistors (add an external one)',
  ],
  "invalid-many": [
    'device.timezone: found "Europe/Pariss" (text); expected an IANA time zone like "Europe/Paris" or a POSIX TZ like "CET-1CEST,M3.5.0,M10.5.0/3" (did you mean "Europe/Paris"?)',
    "wifi.ssid: missing; expected one line of text of 1 to 32 bytes: WiFi network name.",
    "smtp.port: found 0 (number); expected an integer from 1 to 65535",
    `smtp.security: found "starttls" (text); expected "tls" or "plain" (${STARTTLS}, so STARTTLS is impossible (docs/espruino.md §2): use port 465 with security "tls" (implicit TLS, RFC 8314), or a relay on your LAN with security "plain")`,
    'smtp.from: found "not-an-address" (text); expected an email address like "alarm@example.com" or "Garage <alarm@example.com>" (it has no "@")',
    'smtp.cc: found "cc@example.com" (text); expected a list of email addresses like ["Me <me@example.com>"] (write ["cc@example.com"])',
    'outbox.retry: unknown key; did you mean "retrySeconds"? (expected one of: max, retrySeconds, maxRetrySeconds, coalesceSeconds)',
    "outbox.max: found 0 (number); expected an integer from 1 to 200",
  ],
};

const fixtures = readdirSync(FIXTURES)
  .filter((f) => f.startsWith("invalid-"))
  .map((f) => f.replace(/\.json$/, ""));

test("every invalid fixture has its expected messages listed here", () => {
  expect(fixtures.sort()).toEqual(Object.keys(EXPECTED).sort());
});

describe.each(Object.entries(EXPECTED))("%s", (name, expected) => {
  test("produces exactly the expected errors", () => {
    const r = loadBoardConfig({ file: join(FIXTURES, `${name}.json`), env: {} });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors).toEqual(expected);
  });
});

test("the check CLI prints every error and exits 1 for each invalid fixture, writing nothing", { timeout: 120_000 }, async () => {
  const bundleDir = mkdtempSync(join(tmpdir(), "alertmail-check-cli-"));
  const check = await bundledCheck(bundleDir);
  // Each fixture alone in an empty directory: afterwards that directory must hold only the fixture.
  const dirs = Object.keys(EXPECTED).map((name) => {
    const dir = mkdtempSync(join(tmpdir(), "alertmail-check-"));
    copyFileSync(join(FIXTURES, `${name}.json`), join(dir, "board.json"));
    return { name, dir };
  });
  // Four at a time: the machine is shared.
  const runs: { name: string; dir: string; code: number; out: string }[] = [];
  for (let i = 0; i < dirs.length; i += 4) {
    const batch = dirs.slice(i, i + 4);
    runs.push(
      ...(await Promise.all(
        batch.map(({ name, dir }) => check([join(dir, "board.json")]).then((r) => ({ name, dir, ...r }))),
      )),
    );
  }
  for (const run of runs) {
    expect(run.code, run.name).toBe(1);
    const expected = EXPECTED[run.name];
    expect(run.out).toContain(`${expected.length} error${expected.length === 1 ? "" : "s"}`);
    for (const line of expected) expect(run.out).toContain(line);
    expect(readdirSync(run.dir)).toEqual(["board.json"]);
    rmSync(run.dir, { recursive: true });
  }
  rmSync(bundleDir, { recursive: true });
});

test("the check CLI exits 0 and prints OK for the shipped board.json", { timeout: 60_000 }, async () => {
  const r = await runCheck([join(ROOT, "board.json")]);
  expect(r.out).toMatch(/board\.json: OK \(4 alert rules, timezone CET-1CEST,M3\.5\.0,M10\.5\.0\/3, \d+ bytes on the board\)/);
  expect(r.code).toBe(0);
});

test("the check CLI reports a JSON syntax error with its line and column", { timeout: 60_000 }, async () => {
  const r = await runCheck([join(FIXTURES, "broken", "syntax-error.json")]);
  expect(r.code).toBe(1);
  expect(r.out).toMatch(/syntax-error\.json:4:\d+: not valid JSON/);
});
