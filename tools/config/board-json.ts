// The shape of board.json as the user writes it: friendly strings, optional keys (defaults in spec.ts).
import type { BoardApi } from "./api-spec.ts";

/** A mailbox as written by the user: "a@b.example" or "Display Name <a@b.example>". */
export type AddressString = string;

export interface BoardJson {
  $schema?: string;
  $comment?: string;
  device: BoardDevice;
  wifi: BoardWifi;
  smtp: BoardSmtp;
  alerts?: BoardAlert[];
  outbox?: BoardOutbox;
  sketch?: BoardSketch;
  /** Send through an email provider's HTTPS API instead of SMTP (tools/config/api-spec.ts). */
  api?: BoardApi;
}

export interface BoardDevice {
  name: string;
  timezone?: string;
  watchdogSeconds?: number;
  ntpServer?: string;
}

export interface BoardWifi {
  ssid: string;
  password?: string;
}

export interface BoardSmtp {
  host: string;
  port?: number;
  security?: "tls" | "plain";
  user?: string;
  password?: string;
  trustedRelay?: boolean;
  from: AddressString;
  to: AddressString[];
  cc?: AddressString[];
  bcc?: AddressString[];
  helo?: string;
  keepAliveSeconds?: number;
  timeoutSeconds?: number;
}

export interface BoardAlertCommon {
  name: string;
  subject?: string;
  body?: string;
  format?: "text" | "html";
  cooldownSeconds?: number;
  maxPerHour?: number;
  to?: AddressString[];
  digest?: boolean;
}

export interface BoardDigitalAlert extends BoardAlertCommon {
  kind: "digital";
  pin: string;
  pull?: "up" | "down" | "none";
  edge?: "rising" | "falling" | "both";
  debounceMs?: number;
}

export interface BoardAnalogAlert extends BoardAlertCommon {
  kind: "analog";
  pin: string;
  above?: number | null;
  below?: number | null;
  hysteresis?: number;
  sampleMs?: number;
  scale?: number;
  offset?: number;
  unit?: string;
}

export interface BoardHeartbeatAlert extends BoardAlertCommon {
  kind: "heartbeat";
  everyHours?: number;
}

export interface BoardBootAlert extends BoardAlertCommon {
  kind: "boot";
}

export type BoardAlert = BoardDigitalAlert | BoardAnalogAlert | BoardHeartbeatAlert | BoardBootAlert;

export interface BoardOutbox {
  max?: number;
  retrySeconds?: number;
  maxRetrySeconds?: number;
  coalesceSeconds?: number;
}

export interface BoardSketch {
  loopMs?: number;
}
