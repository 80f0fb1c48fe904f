// Validates a parsed board.json against spec.ts and the rules the board needs, reporting EVERY error at
// once as "<key path>: found …; expected …", and returns the normalised DeviceConfig (defaults filled).
import { isIPv4, isIPv6 } from "node:net";
import type { AlertRule, DeviceConfig, Mailbox } from "../../src/config.ts";
import { parseMailbox } from "./address.ts";
import { checkApi, fillApiSmtpHost } from "./api-spec.ts";
import { didYouMean } from "./did-you-mean.ts";
import { BOARD_SPEC, PLACEHOLDERS, type AlertsField, type Field, type ObjectField } from "./spec.ts";
import { toPosixTz } from "./timezone.ts";

export type ValidationResult = { ok: true; config: DeviceConfig } | { ok: false; errors: string[] };

export interface ValidateOptions {
  /** Paths whose ${NAME} is unresolved (already reported by resolveSecrets): not checked again. */
  unresolved?: Set<string>;
  /** Paths whose whole value came from one ${NAME}: numbers and booleans may arrive as text. */
  fromEnv?: Set<string>;
  /** Year whose time-zone rules are used (default: this year). */
  year?: number;
}

export const STARTTLS_HELP =
  "the Espruino network stack cannot upgrade an open socket to TLS, so STARTTLS is impossible (docs/espruino.md §2): " +
  'use port 465 with security "tls" (implicit TLS, RFC 8314), or a relay on your LAN with security "plain"';

/** Largest alertmail.json the firmware should have to parse (it is read into RAM at boot). */
export const MAX_CONFIG_BYTES = 8192;

/** ESP32 GPIOs as Espruino names them; D6..D11 drive the SPI flash. */
const FLASH_PINS = [6, 7, 8, 9, 10, 11];
const ESP32_GPIOS = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 23, 25, 26, 27, 32, 33, 34, 35,
  36, 37, 38, 39,
];
/** ADC1 channels: ADC2 cannot be read while WiFi is on. */
const ADC1_PINS = [32, 33, 34, 35, 36, 37, 38, 39];
/** Input-only pins without internal pull resistors. */
const INPUT_ONLY_PINS = [34, 35, 36, 37, 38, 39];

const HOST_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function isHostName(s: string): boolean {
  if (s.length > 253) return false;
  const v4 = IPV4.exec(s);
  if (v4) return v4.slice(1).every((n) => Number(n) <= 255);
  return s.split(".").every((l) => HOST_LABEL.test(l));
}

function isIpLiteral(s: string): boolean {
  return IPV4.test(s) || /^[0-9A-Fa-f:.]+$/.test(s) && s.includes(":");
}

/**
 * "UTC+1", "GMT-3", "UTC+05:30": valid POSIX TZ strings whose sign means the opposite of what most people
 * mean (POSIX.1-2017 §8.3: the offset is what to ADD to local time to get UTC, so "UTC+1" is one hour
 * WEST of UTC and mails would say -0100). Returns the explanation, or undefined for anything else.
 */
export function reversedUtcOffset(tz: string): string | undefined {
  const m = /^(UTC|GMT)([+-])(\d{1,2})(?::(\d{2}))?$/i.exec(tz.trim());
  if (!m || (Number(m[3]) === 0 && !Number(m[4] ?? 0))) return undefined;
  const h = Number(m[3]);
  const min = Number(m[4] ?? 0);
  const amount = `${h} hour${h === 1 ? "" : "s"}${min ? ` ${min} minutes` : ""}`;
  const asWritten = m[2] === "+" ? "WEST" : "EAST";
  const meant = m[2] === "+" ? "east" : "west";
  const hhmm = `${String(h).padStart(2, "0")}${min ? String(min).padStart(2, "0") : ""}`;
  const meantSign = m[2] === "+" ? "+" : "-";
  const mailSign = m[2] === "+" ? "-" : "+";
  const posixMeant = `<${meantSign}${hhmm}>${meantSign === "+" ? "-" : ""}${h}${min ? `:${String(min).padStart(2, "0")}` : ""}`;
  const etc = min ? "" : `"Etc/GMT${meantSign === "+" ? "-" : "+"}${h}" (IANA's Etc names are reversed too), `;
  return (
    `POSIX TZ signs are reversed: "${tz}" means ${amount} ${asWritten} of UTC, mails would say ` +
    `${mailSign}${String(h).padStart(2, "0")}${String(min).padStart(2, "0")}. For ${amount} ${meant} of UTC write an IANA zone ` +
    `such as "Europe/Paris" (daylight saving included), ${etc}or the POSIX "${posixMeant}"`
  );
}

/** "Paris" → "Europe/Paris", "new york" → "America/New_York": the zone whose city part matches. */
function cityZone(tz: string): string | undefined {
  const want = tz.trim().toLowerCase().replace(/[\s-]+/g, "_");
  if (!want || want.includes("/")) return undefined;
  const zones = ianaZoneNames();
  const cities = zones.map((z) => z.slice(z.lastIndexOf("/") + 1).toLowerCase());
  const exact = cities.indexOf(want);
  if (exact >= 0) return zones[exact];
  const near = didYouMean(want, cities);
  return near === undefined ? undefined : zones[cities.indexOf(near)];
}

/** An SMTP address literal (RFC 5321 §4.1.3): [IPv4] or [IPv6:…], each a real address. */
function isAddressLiteral(s: string): boolean {
  const m = /^\[(.*)\]$/.exec(s);
  if (!m) return false;
  if (/^IPv6:/i.test(m[1])) return isIPv6(m[1].slice(5));
  return isIPv4(m[1]);
}

/** Every IANA zone Node knows (Intl.supportedValuesOf is ES2022; tsconfig's lib is older). */
const ianaZoneNames = (): string[] =>
  (Intl as unknown as { supportedValuesOf(key: string): string[] }).supportedValuesOf("timeZone");

const utf8Bytes = (s: string) => Buffer.byteLength(s, "utf8");

function hasLoneSurrogate(s: string): boolean {
  return /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);
}

/** How a found value is shown in a message (secrets never echoed). */
function show(v: unknown, secret = false): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "an object";
  if (typeof v === "string") {
    if (secret) return `text of ${v.length} characters (hidden)`;
    const j = JSON.stringify(v);
    return j.length > 70 ? `${j.slice(0, 60)}…" (text)` : `${j} (text)`;
  }
  return `${JSON.stringify(v)} (${typeof v})`;
}

function range(f: { minimum?: number; maximum?: number; exclusiveMinimum?: number }): string {
  if (f.exclusiveMinimum !== undefined && f.maximum !== undefined)
    return ` greater than ${f.exclusiveMinimum} and at most ${f.maximum}`;
  if (f.exclusiveMinimum !== undefined) return ` greater than ${f.exclusiveMinimum}`;
  if (f.minimum !== undefined && f.maximum !== undefined) return ` from ${f.minimum} to ${f.maximum}`;
  if (f.minimum !== undefined) return ` of at least ${f.minimum}`;
  if (f.maximum !== undefined) return ` of at most ${f.maximum}`;
  return "";
}

const quoteList = (values: readonly string[]) =>
  values.length <= 2
    ? values.map((v) => `"${v}"`).join(" or ")
    : `one of ${values.map((v) => `"${v}"`).join(", ")}`;

/** What a field expects, in words. */
export function expectation(f: Field): string {
  switch (f.type) {
    case "string": {
      const len =
        f.minLength && f.maxLength
          ? ` of ${f.minLength} to ${f.maxLength} bytes`
          : f.maxLength
            ? ` of at most ${f.maxLength} bytes`
            : f.minLength
              ? " (not empty)"
              : "";
      return `${f.multiline ? "text" : "one line of text"}${len}`;
    }
    case "integer":
      return `an integer${range(f)}${f.nullable ? " or null" : ""}`;
    case "number":
      return `a number${range(f)}${f.nullable ? " or null" : ""}`;
    case "boolean":
      return "true or false";
    case "enum":
      return quoteList(f.values);
    case "address":
      return 'an email address like "alarm@example.com" or "Garage <alarm@example.com>"';
    case "addresses":
      return `a list of email addresses like ["Me <me@example.com>"]${f.minItems ? ` (at least ${f.minItems})` : ""}`;
    case "object":
      return `an object with keys ${Object.keys(f.props).join(", ")}`;
    case "alerts":
      return `a list of alert rules (objects with "kind": ${quoteList(Object.keys(f.kinds))})`;
  }
}

/** Alert kinds whose rules have this key. */
function kindsWithKey(key: string): string[] {
  const alerts = BOARD_SPEC.props.alerts as AlertsField;
  return Object.entries(alerts.kinds)
    .filter(([, spec]) => key in spec.props)
    .map(([kind]) => kind);
}

class Checker {
  errors: string[] = [];
  /** Paths already reported, so later cross-field checks do not pile on. */
  bad = new Set<string>();

  constructor(private opts: ValidateOptions) {}

  error(path: string, message: string) {
    this.bad.add(path);
    this.errors.push(`${path}: ${message}`);
  }

  wrong(path: string, v: unknown, expected: string, f?: Field, hint = "") {
    const secret = f?.type === "string" && f.secret;
    this.error(path, `found ${show(v, secret)}; expected ${expected}${hint ? ` (${hint})` : ""}`);
  }

  skip(path: string) {
    return this.opts.unresolved?.has(path) ?? false;
  }

  object(spec: ObjectField, v: unknown, path: string): Record<string, unknown> | undefined {
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
      this.wrong(path || "(top level)", v, expectation(spec));
      return undefined;
    }
    const input = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    const keys = Object.keys(spec.props);
    const guessed = new Set<string>();
    for (const key of Object.keys(input)) {
      if (key in spec.props) continue;
      const p = path ? `${path}.${key}` : key;
      if (path === "" && key === "heartbeat") {
        this.error(
          p,
          'unknown key; the heartbeat is an alert kind: add {"kind": "heartbeat", "name": "daily", "everyHours": 24} to alerts[]',
        );
        continue;
      }
      const guess = didYouMean(key, keys);
      const list = keys.filter((k) => k !== "$schema").join(", ");
      const owners = /^alerts\[\d+\]$/.test(path) ? kindsWithKey(key) : [];
      if (owners.length && !guess) {
        const kind = String(input.kind);
        this.error(p, `unknown key for kind "${kind}"; "${key}" belongs to ${quoteList(owners)} rules (expected one of: ${list})`);
        continue;
      }
      if (guess && input[guess] === undefined) {
        // The misspelt key stands for this one: do not also call it missing or check it further.
        guessed.add(guess);
        this.bad.add(path ? `${path}.${guess}` : guess);
      }
      this.error(p, guess ? `unknown key; did you mean "${guess}"? (expected one of: ${list})` : `unknown key; expected one of: ${list}`);
    }
    for (const key of keys) {
      const f = spec.props[key];
      const p = path ? `${path}.${key}` : key;
      if (input[key] === undefined) {
        if (f.required && !guessed.has(key)) this.error(p, `missing; expected ${expectation(f)}: ${f.description}`);
        else if (f.default !== undefined) out[key] = this.value(f, structuredClone(f.default), p);
        continue;
      }
      out[key] = this.value(f, input[key], p);
    }
    return out;
  }

  value(f: Field, v: unknown, path: string): unknown {
    if (this.skip(path)) return v;
    const fromEnv = this.opts.fromEnv?.has(path) && typeof v === "string";
    switch (f.type) {
      case "string":
        return this.string(f, v, path);
      case "integer":
      case "number": {
        if (v === null && f.nullable) return null;
        if (fromEnv && /^-?\d+(\.\d+)?$/.test(v as string)) v = Number(v);
        const ok =
          typeof v === "number" &&
          Number.isFinite(v) &&
          (f.type === "number" || Number.isInteger(v)) &&
          (f.minimum === undefined || v >= f.minimum) &&
          (f.maximum === undefined || v <= f.maximum) &&
          (f.exclusiveMinimum === undefined || v > f.exclusiveMinimum);
        if (!ok) this.wrong(path, v, expectation(f));
        return v;
      }
      case "boolean":
        if (fromEnv && (v === "true" || v === "false")) v = v === "true";
        if (typeof v !== "boolean") this.wrong(path, v, expectation(f));
        return v;
      case "enum": {
        if (typeof v === "string" && f.values.includes(v)) return v;
        if (path === "smtp.security" && typeof v === "string" && /^start-?tls$/i.test(v.trim())) {
          this.wrong(path, v, quoteList(f.values), f, STARTTLS_HELP);
        } else if (path === "smtp.security" && typeof v === "string" && /^(ssl|smtps|implicit)$/i.test(v.trim())) {
          this.wrong(path, v, quoteList(f.values), f, 'implicit TLS is written "tls"');
        } else {
          const guess = typeof v === "string" ? didYouMean(v, f.values) : undefined;
          this.wrong(path, v, quoteList(f.values), f, guess ? `did you mean "${guess}"?` : "");
        }
        return v;
      }
      case "address":
        return this.address(v, path);
      case "addresses": {
        if (!Array.isArray(v)) {
          const hint = typeof v === "string" ? `write ["${v}"]` : "";
          this.wrong(path, v, expectation(f), f, hint);
          return [];
        }
        if (f.minItems && v.length < f.minItems) this.wrong(path, v.length ? v : "an empty list", expectation(f));
        return v.map((item, i) => this.address(item, `${path}[${i}]`));
      }
      case "object":
        return this.object(f, v, path);
      case "alerts":
        return this.alerts(f, v, path);
    }
  }

  string(f: Field & { type: "string" }, v: unknown, path: string): unknown {
    if (typeof v !== "string") {
      // "pin": 4 is the most common slip: Espruino names GPIO 4 "D4".
      const hint = typeof v === "number" && /\.pin$/.test(path) ? `write "D${v}"` : "";
      this.wrong(path, v, expectation(f), undefined, hint);
      return v;
    }
    if (hasLoneSurrogate(v)) {
      this.error(path, "found text that is not valid Unicode (a lone surrogate); expected text that can be written as UTF-8");
      return v;
    }
    if (!f.multiline && /[\r\n]/.test(v)) {
      this.error(
        path,
        `found ${show(v, f.secret)} with a line break (CR or LF); expected one line: a line break here could forge mail headers or SMTP commands`,
      );
    } else if (/\0/.test(v)) {
      this.error(path, `found ${show(v, f.secret)} with a NUL character; expected text without NUL`);
    } else if (!f.multiline && /[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(v)) {
      this.error(path, `found ${show(v, f.secret)} with a control character; expected printable text`);
    }
    const bytes = utf8Bytes(v);
    if ((f.minLength && bytes < f.minLength) || (f.maxLength && bytes > f.maxLength)) {
      this.wrong(path, v, expectation(f), f);
    }
    if (f.template) this.template(v, path);
    return v;
  }

  template(t: string, path: string) {
    const names = Object.keys(PLACEHOLDERS);
    const re = /\{\{([^{}]*)\}\}/g;
    for (const m of t.matchAll(re)) {
      const inner = m[1];
      if (names.includes(inner)) continue;
      const trimmed = inner.trim();
      if (names.includes(trimmed)) {
        this.error(path, `found "${m[0]}"; expected "{{${trimmed}}}" without spaces`);
        continue;
      }
      const guess = didYouMean(trimmed, names);
      this.error(
        path,
        `found unknown placeholder "${m[0]}"${guess ? `; did you mean "{{${guess}}}"?` : ""} Expected one of: ${names.map((n) => `{{${n}}}`).join(" ")}`,
      );
    }
    const rest = t.replace(re, "");
    if (rest.includes("{{") || rest.includes("}}")) {
      this.error(path, 'found an unbalanced "{{" or "}}"; expected placeholders written {{name}}');
    }
  }

  address(v: unknown, path: string): Mailbox | undefined {
    if (this.skip(path)) return undefined;
    if (typeof v !== "string") {
      this.wrong(path, v, expectation({ type: "address", description: "" }));
      return undefined;
    }
    const parsed = parseMailbox(v);
    if (!parsed.ok) {
      this.wrong(path, v, expectation({ type: "address", description: "" }), undefined, parsed.problem);
      return undefined;
    }
    return parsed.mailbox;
  }

  alerts(f: AlertsField, v: unknown, path: string): unknown[] {
    if (!Array.isArray(v)) {
      this.wrong(path, v, expectation(f));
      return [];
    }
    const kinds = Object.keys(f.kinds);
    return v.map((item, i) => {
      const p = `${path}[${i}]`;
      if (typeof item !== "object" || item === null || Array.isArray(item)) {
        this.wrong(p, item, 'an alert rule object with "kind" and "name"');
        return undefined;
      }
      const kind = (item as Record<string, unknown>).kind;
      if (typeof kind !== "string" || !kinds.includes(kind)) {
        const guess = typeof kind === "string" ? didYouMean(kind, kinds) : undefined;
        if (kind === undefined) this.error(`${p}.kind`, `missing; expected ${quoteList(kinds)}`);
        else this.wrong(`${p}.kind`, kind, quoteList(kinds), undefined, guess ? `did you mean "${guess}"?` : "");
        return undefined;
      }
      return this.object(f.kinds[kind], item, p);
    });
  }
}

/** Cross-field rules: SMTP security, AUTH, pins, thresholds, names, derived defaults. */
function checkRules(c: Checker, cfg: Record<string, any>, opts: ValidateOptions) {
  const ok = (path: string) => !c.bad.has(path) && !c.skip(path);
  const device = cfg.device ?? {};
  const smtp = cfg.smtp ?? {};

  // device.timezone → POSIX TZ.
  const reversed = typeof device.timezone === "string" ? reversedUtcOffset(device.timezone) : undefined;
  if (reversed && ok("device.timezone")) {
    c.wrong("device.timezone", device.timezone, 'an IANA time zone like "Europe/Paris" or a POSIX TZ', undefined, reversed);
  } else if (typeof device.timezone === "string" && ok("device.timezone")) {
    const tz = toPosixTz(device.timezone, opts.year);
    if (tz.ok) device.timezone = tz.posix;
    else {
      const guess = didYouMean(device.timezone, ianaZoneNames()) ?? cityZone(device.timezone);
      c.wrong(
        "device.timezone",
        device.timezone,
        'an IANA time zone like "Europe/Paris" or a POSIX TZ like "CET-1CEST,M3.5.0,M10.5.0/3"',
        undefined,
        guess && guess !== device.timezone ? `did you mean "${guess}"?` : tz.problem,
      );
    }
  }
  if (typeof device.ntpServer === "string" && ok("device.ntpServer") && !isHostName(device.ntpServer)) {
    c.wrong("device.ntpServer", device.ntpServer, "a host name like pool.ntp.org");
  }

  const wifiPassword = cfg.wifi?.password;
  if (typeof wifiPassword === "string" && ok("wifi.password") && wifiPassword !== "" && wifiPassword.length < 8) {
    c.error("wifi.password", `found ${wifiPassword.length} characters (hidden); expected 8 to 64 (WPA2), or "" for an open network`);
  }

  // SMTP transport.
  if (typeof smtp.host === "string" && ok("smtp.host") && !isHostName(smtp.host) && !isIpLiteral(smtp.host)) {
    c.wrong("smtp.host", smtp.host, "a host name like smtp.example.com or an IP address");
  }
  const security = smtp.security;
  if (smtp.port === undefined && (security === "tls" || security === "plain")) {
    smtp.port = security === "tls" ? 465 : 25;
  }
  if (ok("smtp.port") && ok("smtp.security")) {
    if (smtp.port === 587) {
      c.error("smtp.port", `found 587 (the STARTTLS submission port); ${STARTTLS_HELP}`);
    } else if (smtp.port === 465 && security === "plain") {
      c.error(
        "smtp.port",
        'found 465 with security "plain"; expected security "tls": port 465 speaks TLS from the first byte (RFC 8314 §3.3)',
      );
    }
  }

  // AUTH.
  const user = smtp.user;
  const password = smtp.password;
  if (typeof user === "string" && typeof password === "string" && ok("smtp.user") && ok("smtp.password")) {
    if (user !== "" && password === "") {
      c.error("smtp.password", `missing; expected the password for smtp.user "${user}" (or remove user to send without AUTH)`);
    } else if (user === "" && password !== "") {
      c.error("smtp.user", "missing; expected the AUTH user name that goes with smtp.password");
    } else if (user !== "" && security === "plain" && smtp.trustedRelay !== true && ok("smtp.trustedRelay")) {
      c.error(
        "smtp.user",
        'AUTH over security "plain" would send the password unencrypted; expected security "tls", or "trustedRelay": true for a relay on your own LAN',
      );
    }
  }

  // helo: an explicit host name, or the device name as a label + ".local".
  if (smtp.helo === undefined && typeof device.name === "string") {
    const label = device.name
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 63)
      .replace(/-+$/, "");
    smtp.helo = `${label || "alertmail"}.local`;
  } else if (typeof smtp.helo === "string" && ok("smtp.helo") && !isHostName(smtp.helo) && !isAddressLiteral(smtp.helo)) {
    c.wrong("smtp.helo", smtp.helo, "a host name like garage.local or an address literal like [192.168.1.20] or [IPv6:2001:db8::1] (RFC 5321 §4.1.3)");
  }

  // Alerts.
  const alerts: any[] = Array.isArray(cfg.alerts) ? cfg.alerts : [];
  const seen = new Map<string, number>();
  alerts.forEach((a, i) => {
    if (!a) return;
    const p = `alerts[${i}]`;
    if (typeof a.name === "string" && ok(`${p}.name`)) {
      const first = seen.get(a.name);
      if (first !== undefined) {
        c.error(`${p}.name`, `found "${a.name}" again (alerts[${first}] has it); expected a unique rule name`);
      } else seen.set(a.name, i);
    }
    if ((a.kind === "digital" || a.kind === "analog") && typeof a.pin === "string" && ok(`${p}.pin`)) {
      checkPin(c, a, `${p}`);
    }
    if (a.kind === "analog") {
      const above = a.above;
      const below = a.below;
      if (above === null && below === null && ok(`${p}.above`) && ok(`${p}.below`)) {
        c.error(`${p}.above`, "missing; an analog rule needs above or below (or both): the threshold that raises the alert");
      } else if (typeof above === "number" && typeof below === "number" && below >= above) {
        c.error(`${p}.below`, `found ${below} with above ${above}; expected below < above (alert outside below..above)`);
      }
    }
  });

  const outbox = cfg.outbox ?? {};
  if (
    typeof outbox.retrySeconds === "number" &&
    typeof outbox.maxRetrySeconds === "number" &&
    outbox.maxRetrySeconds < outbox.retrySeconds
  ) {
    c.error("outbox.maxRetrySeconds", `found ${outbox.maxRetrySeconds}; expected at least outbox.retrySeconds (${outbox.retrySeconds})`);
  }
  const loopMs = cfg.sketch?.loopMs;
  if (typeof loopMs === "number" && loopMs > 0 && loopMs < 20 && ok("sketch.loopMs")) {
    c.wrong("sketch.loopMs", loopMs, "0 (no loop) or at least 20 ms: a faster loop starves WiFi and the mail client");
  }
}

function checkPin(c: Checker, a: Record<string, any>, p: string) {
  const m = /^D(\d{1,2})$/.exec(a.pin);
  const n = m ? Number(m[1]) : -1;
  if (!m || !ESP32_GPIOS.includes(n)) {
    const upper = typeof a.pin === "string" ? a.pin.toUpperCase() : "";
    const hint = /^(GPIO|IO|P)?\d+$/.test(upper) ? `write "D${upper.replace(/\D/g, "")}"` : "";
    c.wrong(`${p}.pin`, a.pin, "an ESP32 pin as Espruino names it: D0..D5, D12..D19, D21..D23, D25..D27, D32..D39", undefined, hint);
    return;
  }
  if (FLASH_PINS.includes(n)) {
    c.wrong(`${p}.pin`, a.pin, "a free GPIO", undefined, "D6..D11 are wired to the SPI flash");
    return;
  }
  if (a.kind === "analog" && !ADC1_PINS.includes(n)) {
    c.wrong(`${p}.pin`, a.pin, "an ADC1 pin D32..D39", undefined, "ADC2 pins cannot be read while WiFi is on");
  }
  if (a.kind === "digital" && INPUT_ONLY_PINS.includes(n) && (a.pull === "up" || a.pull === "down")) {
    c.error(
      `${p}.pull`,
      `found "${a.pull}" on ${a.pin}; expected "none": D34..D39 have no internal pull resistors (add an external one)`,
    );
  }
}

/** Document order: by section (spec order), then alert index; stable within. */
export function sortErrors(errors: string[]): string[] {
  const sections = Object.keys(BOARD_SPEC.props);
  const key = (e: string) => {
    const m = /^([A-Za-z$]+)(?:\[(\d+)\])?/.exec(e);
    const section = m ? sections.indexOf(m[1]) : -1;
    return [section < 0 ? sections.length : section, m?.[2] ? Number(m[2]) : -1];
  };
  return errors
    .map((e, i) => ({ e, i, k: key(e) }))
    .sort((a, b) => a.k[0] - b.k[0] || a.k[1] - b.k[1] || a.i - b.i)
    .map((x) => x.e);
}

/** Checks a parsed (and secret-resolved) board.json; on success returns the DeviceConfig the board reads. */
export function validateBoard(raw: unknown, opts: ValidateOptions = {}): ValidationResult {
  const c = new Checker(opts);
  fillApiSmtpHost(raw);
  const cfg = c.object(BOARD_SPEC, raw, "");
  if (cfg) checkRules(c, cfg, opts);
  if (cfg && !c.errors.length) checkApi(cfg, (path, message) => c.error(path, message));
  if (c.errors.length || !cfg) return { ok: false, errors: sortErrors(c.errors) };
  delete cfg.$schema;
  delete cfg.$comment;
  const config = cfg as unknown as DeviceConfig;
  config.alerts = config.alerts as AlertRule[];
  const size = utf8Bytes(JSON.stringify(config));
  if (size > MAX_CONFIG_BYTES) {
    // Name the values that make it too big (key paths, largest first), not the whole file.
    const leaves: { path: string; bytes: number }[] = [];
    const walk = (v: unknown, path: string) => {
      if (typeof v === "string") leaves.push({ path, bytes: utf8Bytes(v) });
      else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
      else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
    };
    walk(config, "");
    leaves.sort((a, b) => b.bytes - a.bytes);
    const big = leaves.filter((l, i) => i === 0 || l.bytes >= 1024);
    const why = `the whole configuration is ${size} bytes as JSON; expected at most ${MAX_CONFIG_BYTES} (it is read into the board's RAM)`;
    return {
      ok: false,
      errors: big.length
        ? sortErrors(big.map((l) => `${l.path}: found text of ${l.bytes} bytes; ${why}: shorten it`))
        : [`(top level): ${why}: shorten templates or remove rules`],
    };
  }
  return { ok: true, config };
}
