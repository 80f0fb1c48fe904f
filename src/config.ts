// The configuration the firmware reads from Storage file CONFIG_FILE: board.json validated, with
// secrets resolved and every default filled in by the PC-side tools (tools/config/), so the board
// itself never applies defaults. All strings are UTF-8 byte strings on the board.

import type { ApiSettings } from "./api/settings.ts";

/** Storage file that holds the JSON of a DeviceConfig (written by `npm run flash` and the simulator). */
export const CONFIG_FILE = "alertmail.json";

export interface Mailbox {
  /** Display name, may be empty. */
  name: string;
  /** addr-spec, ASCII only (validated on the PC). */
  address: string;
}

export interface SmtpSettings {
  host: string;
  /** 465 for implicit TLS (RFC 8314); any port for a plain relay. */
  port: number;
  /** "tls" = implicit TLS from the first byte; "plain" = a trusted relay on the LAN, no TLS. */
  security: "tls" | "plain";
  /** Empty = no AUTH. */
  user: string;
  password: string;
  /** May AUTH be sent over a plain connection (trusted LAN relay only). Default false. */
  trustedRelay: boolean;
  from: Mailbox;
  to: Mailbox[];
  cc: Mailbox[];
  /** Envelope-only recipients: never written into a header. */
  bcc: Mailbox[];
  /** EHLO name (RFC 5321 §4.1.1.1). Default: the device name as a hostname label + ".local". */
  helo: string;
  /** Keep the connection open this long after a batch for the next alert; 0 = QUIT at once. Default 0. */
  keepAliveSeconds: number;
  /** Greeting / per-reply timeout. Default 30. */
  timeoutSeconds: number;
}

export interface AlertCommon {
  /** Unique rule name, used by alertmail.fire(name). */
  name: string;
  subject: string;
  body: string;
  /** Default "text". */
  format: "text" | "html";
  /** Minimum seconds between two mails of this rule. Default 60 (0 for boot/heartbeat). */
  cooldownSeconds: number;
  /** At most this many mails per rolling hour; 0 = no limit. Default 0. */
  maxPerHour: number;
  /** Overrides smtp.to for this rule when given (empty = use smtp.to). */
  to: Mailbox[];
  /** Gather alerts raised while a send runs into one digest mail instead of one mail each. Default false. */
  digest: boolean;
}

export interface DigitalAlert extends AlertCommon {
  kind: "digital";
  /** Pin name as Espruino knows it, e.g. "D4". */
  pin: string;
  /** Default "up". */
  pull: "up" | "down" | "none";
  /** Default "both". */
  edge: "rising" | "falling" | "both";
  /** Default 50. */
  debounceMs: number;
}

export interface AnalogAlert extends AlertCommon {
  kind: "analog";
  pin: string;
  /** Fires when value > above (then re-arms below above - hysteresis). At least one of above/below. */
  above: number | null;
  /** Fires when value < below (then re-arms above below + hysteresis). */
  below: number | null;
  /** Default 0. In the scaled unit. */
  hysteresis: number;
  /** Default 1000. */
  sampleMs: number;
  /** value = analogRead(pin) * scale + offset. Defaults 1 and 0. */
  scale: number;
  offset: number;
  /** Default "". */
  unit: string;
}

export interface HeartbeatAlert extends AlertCommon {
  kind: "heartbeat";
  /** Default 24. */
  everyHours: number;
}

export interface BootAlert extends AlertCommon {
  kind: "boot";
}

export type AlertRule = DigitalAlert | AnalogAlert | HeartbeatAlert | BootAlert;

export interface DeviceConfig {
  device: {
    name: string;
    /** POSIX TZ string (IANA names are converted on the PC), e.g. "CET-1CEST,M3.5.0,M10.5.0/3". */
    timezone: string;
    /** Hardware watchdog in seconds; 0 = off. Default 30. */
    watchdogSeconds: number;
    /** NTP server for Wifi.setSNTP. Default "pool.ntp.org". */
    ntpServer: string;
  };
  wifi: { ssid: string; password: string };
  smtp: SmtpSettings;
  alerts: AlertRule[];
  outbox: {
    /** Most alerts kept waiting in Storage; when full the oldest is dropped and counted. Default 20. */
    max: number;
    /** First retry delay; doubles with jitter up to maxRetrySeconds. Defaults 30 and 3600. */
    retrySeconds: number;
    maxRetrySeconds: number;
    /** Alerts raised within this window go out over one connection. Default 2. */
    coalesceSeconds: number;
  };
  sketch: {
    /** Period of the sketch's loop() in ms; 0 = no loop. Default 0. */
    loopMs: number;
  };
  /** Send through an email provider's HTTPS API instead of SMTP (src/api/settings.ts). */
  api?: ApiSettings;
}
