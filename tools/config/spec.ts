// The one description of board.json: every key, its type, default and help text. The validator walks it,
// board.schema.json is generated from it, and the `Keys<T>` mapping makes tsc fail if it drifts from BoardJson.
import type {
  BoardAnalogAlert,
  BoardBootAlert,
  BoardDevice,
  BoardDigitalAlert,
  BoardHeartbeatAlert,
  BoardJson,
  BoardOutbox,
  BoardSketch,
  BoardSmtp,
  BoardWifi,
} from "./board-json.ts";
import { API_FIELD } from "./api-spec.ts";

interface FieldBase {
  description: string;
  /** Must be present (no default). */
  required?: true;
  /** Default written into the config when the key is absent (documented in the schema). */
  default?: unknown;
  /** Default that depends on other keys: documented in words, computed by the validator. */
  defaultNote?: string;
  examples?: unknown[];
}

export interface StringField extends FieldBase {
  type: "string";
  /** Multi-line text allowed (mail bodies). Otherwise CR, LF and NUL are errors. */
  multiline?: true;
  /** Never echo the value in an error message. */
  secret?: true;
  /** The value is a template: only the known {{placeholders}}. */
  template?: true;
  minLength?: number;
  maxLength?: number;
}
export interface NumberField extends FieldBase {
  type: "integer" | "number";
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  /** null is allowed (means "not set"). */
  nullable?: true;
}
export interface BooleanField extends FieldBase {
  type: "boolean";
}
export interface EnumField extends FieldBase {
  type: "enum";
  values: readonly string[];
}
/** One mailbox written as "addr@example.com" or "Name <addr@example.com>". */
export interface AddressField extends FieldBase {
  type: "address";
}
export interface AddressListField extends FieldBase {
  type: "addresses";
  minItems?: number;
}
export interface ObjectField extends FieldBase {
  type: "object";
  props: Record<string, Field>;
}
/** alerts[]: each item is one of `kinds`, chosen by its "kind" key. */
export interface AlertsField extends FieldBase {
  type: "alerts";
  kinds: Record<string, ObjectField>;
}
export type Field =
  | StringField
  | NumberField
  | BooleanField
  | EnumField
  | AddressField
  | AddressListField
  | ObjectField
  | AlertsField;

/** Exactly the keys of T, each described once: a key missing here or extra here is a tsc error. */
type Keys<T> = { [K in keyof T]-?: Field };

/** Placeholders the firmware fills in subject and body templates. */
export const PLACEHOLDERS: Record<string, string> = {
  device: "device.name",
  name: "the rule's name",
  value: "the reading (analog: scaled value; digital: 0 or 1)",
  unit: "the analog rule's unit",
  state: "what happened (e.g. open/closed, above/below/normal, the restart reason)",
  time: "local time when the alert was raised (empty while the clock is unsynced)",
  count: "how many alerts of this rule (heartbeat: alerts sent since boot)",
  ip: "the board's IP address",
};

const placeholderList = Object.keys(PLACEHOLDERS)
  .map((p) => `{{${p}}}`)
  .join(" ");

export const TEMPLATE_HELP = `Placeholders: ${placeholderList}.`;

function alertCommon(kind: string, subject: string, body: string, cooldown: number) {
  return {
    kind: { type: "enum", values: [kind], required: true, description: `"${kind}".` } as EnumField,
    name: {
      type: "string",
      required: true,
      minLength: 1,
      maxLength: 40,
      description: 'Unique rule name; alertmail.fire("name") triggers it from the console.',
    } as StringField,
    subject: {
      type: "string",
      template: true,
      default: subject,
      description: `Subject template (one line). ${TEMPLATE_HELP}`,
    } as StringField,
    body: {
      type: "string",
      template: true,
      multiline: true,
      default: body,
      description: `Body template; HTML when format is "html" (placeholder values are HTML-escaped). ${TEMPLATE_HELP}`,
    } as StringField,
    format: {
      type: "enum",
      values: ["text", "html"],
      default: "text",
      description: 'Body format: "text" (text/plain) or "html" (text/html).',
    } as EnumField,
    cooldownSeconds: {
      type: "integer",
      minimum: 0,
      maximum: 604800,
      default: cooldown,
      description: "Minimum seconds between two mails of this rule.",
    } as NumberField,
    maxPerHour: {
      type: "integer",
      minimum: 0,
      maximum: 3600,
      default: 0,
      description: "At most this many mails of this rule per rolling hour; 0 = no limit.",
    } as NumberField,
    to: {
      type: "addresses",
      default: [],
      description: "Recipients for this rule instead of smtp.to (empty = smtp.to).",
    } as AddressListField,
    digest: {
      type: "boolean",
      default: false,
      description: "Gather alerts raised while a send runs into one digest mail instead of one mail each.",
    } as BooleanField,
  };
}

const digitalAlert: Keys<BoardDigitalAlert> = {
  ...alertCommon("digital", "{{device}}: {{name}} {{state}}", "{{name}} is {{state}} ({{time}}).", 60),
  pin: {
    type: "string",
    required: true,
    description: 'GPIO pin as Espruino names it: "D0".."D39" (not D6..D11, the flash pins).',
    examples: ["D4"],
  },
  pull: {
    type: "enum",
    values: ["up", "down", "none"],
    default: "up",
    description: 'Internal pull resistor. D34..D39 have none: use "none" and an external resistor.',
  },
  edge: {
    type: "enum",
    values: ["rising", "falling", "both"],
    default: "both",
    description: "Which level change raises the alert.",
  },
  debounceMs: {
    type: "integer",
    minimum: 0,
    maximum: 10000,
    default: 50,
    description: "Debounce time in milliseconds (setWatch debounce).",
  },
};

const analogAlert: Keys<BoardAnalogAlert> = {
  ...alertCommon(
    "analog",
    "{{device}}: {{name}} {{state}} ({{value}}{{unit}})",
    "{{name}} reads {{value}}{{unit}}: {{state}} ({{time}}).",
    60,
  ),
  pin: {
    type: "string",
    required: true,
    description: 'ADC1 pin: "D32".."D39" (ADC2 pins do not work while WiFi is on).',
    examples: ["D34"],
  },
  above: {
    type: "number",
    nullable: true,
    default: null,
    description: "Fires when the value rises above this (scaled unit). At least one of above/below.",
  },
  below: {
    type: "number",
    nullable: true,
    default: null,
    description: "Fires when the value falls below this (scaled unit). At least one of above/below.",
  },
  hysteresis: {
    type: "number",
    minimum: 0,
    default: 0,
    description: "Re-arms only once the value is back this far on the safe side (scaled unit).",
  },
  sampleMs: {
    type: "integer",
    minimum: 50,
    maximum: 3600000,
    default: 1000,
    description: "Sample period in milliseconds.",
  },
  scale: {
    type: "number",
    default: 1,
    description: "value = analogRead(pin) * scale + offset (analogRead is 0..1).",
  },
  offset: { type: "number", default: 0, description: "Added after scale." },
  unit: {
    type: "string",
    default: "",
    maxLength: 16,
    description: 'Unit shown after the value, e.g. "°C".',
  },
};

const heartbeatAlert: Keys<BoardHeartbeatAlert> = {
  ...alertCommon(
    "heartbeat",
    "{{device}}: heartbeat",
    "{{device}} is alive ({{time}}, {{ip}}); {{count}} alerts sent.",
    0,
  ),
  everyHours: {
    type: "number",
    exclusiveMinimum: 0,
    maximum: 8760,
    default: 24,
    description: "Hours between two heartbeat mails (uptime, alerts sent, queue state, last error).",
  },
};

const bootAlert: Keys<BoardBootAlert> = {
  ...alertCommon("boot", "{{device}} restarted", "{{device}} restarted: {{state}} ({{time}}).", 0),
};

const device: Keys<BoardDevice> = {
  name: {
    type: "string",
    required: true,
    minLength: 1,
    maxLength: 64,
    description: "Device name: {{device}} in templates, and the default HELO name.",
    examples: ["Garage"],
  },
  timezone: {
    type: "string",
    default: "UTC",
    description:
      'IANA time zone ("Europe/Paris"), converted to a POSIX TZ on the PC, or a POSIX TZ string ("CET-1CEST,M3.5.0,M10.5.0/3") used as is.',
    examples: ["Europe/Paris", "America/New_York", "UTC"],
  },
  watchdogSeconds: {
    type: "integer",
    minimum: 0,
    maximum: 3600,
    default: 30,
    description: "Hardware watchdog in seconds; 0 = off.",
  },
  ntpServer: {
    type: "string",
    default: "pool.ntp.org",
    description: "NTP server used to set the clock (Wifi.setSNTP).",
  },
};

const wifi: Keys<BoardWifi> = {
  ssid: { type: "string", required: true, minLength: 1, maxLength: 32, description: "WiFi network name." },
  password: {
    type: "string",
    secret: true,
    default: "",
    maxLength: 64,
    description: 'WiFi password ("" = open network). Use "${WIFI_PASSWORD}" to keep it out of the file.',
  },
};

const smtp: Keys<BoardSmtp> = {
  host: {
    type: "string",
    required: true,
    description: "SMTP server host name or IP address.",
    examples: ["smtp.example.com"],
  },
  port: {
    type: "integer",
    minimum: 1,
    maximum: 65535,
    defaultNote: '465 with "tls", 25 with "plain"',
    description:
      "TCP port. 465 = implicit TLS (RFC 8314). 587 (STARTTLS) cannot work: Espruino cannot upgrade a socket to TLS.",
  },
  security: {
    type: "enum",
    values: ["tls", "plain"],
    default: "tls",
    description:
      '"tls" = implicit TLS from the first byte (port 465); "plain" = no TLS, only for a trusted relay on your LAN. STARTTLS is not possible on Espruino.',
  },
  user: {
    type: "string",
    default: "",
    description: 'AUTH user name ("" = no AUTH).',
  },
  password: {
    type: "string",
    secret: true,
    default: "",
    description: 'AUTH password; required with user. Use "${SMTP_PASSWORD}" and an app password.',
  },
  trustedRelay: {
    type: "boolean",
    default: false,
    description: 'Allow AUTH over a "plain" connection (sends the password readable on your LAN).',
  },
  from: {
    type: "address",
    required: true,
    description: 'Sender: "alarm@example.com" or "Garage <alarm@example.com>".',
  },
  to: {
    type: "addresses",
    required: true,
    minItems: 1,
    description: 'Recipients (To header and envelope), e.g. ["Me <me@example.com>"].',
  },
  cc: { type: "addresses", default: [], description: "Cc recipients (header and envelope)." },
  bcc: {
    type: "addresses",
    default: [],
    description: "Envelope-only recipients: never written into a header.",
  },
  helo: {
    type: "string",
    defaultNote: 'device.name as a host name label + ".local"',
    description: "EHLO name (RFC 5321 §4.1.1.1): a host name.",
  },
  keepAliveSeconds: {
    type: "integer",
    minimum: 0,
    maximum: 3600,
    default: 0,
    description: "Keep the connection open this long after a batch for the next alert; 0 = QUIT at once.",
  },
  timeoutSeconds: {
    type: "integer",
    minimum: 1,
    maximum: 600,
    default: 30,
    description: "Greeting and per-reply timeout in seconds.",
  },
};

const outbox: Keys<BoardOutbox> = {
  max: {
    type: "integer",
    minimum: 1,
    maximum: 200,
    default: 20,
    description: "Most alerts kept waiting in Storage; when full the oldest is dropped and counted.",
  },
  retrySeconds: {
    type: "integer",
    minimum: 1,
    maximum: 86400,
    default: 30,
    description: "First retry delay; doubles (with jitter) up to maxRetrySeconds.",
  },
  maxRetrySeconds: {
    type: "integer",
    minimum: 1,
    maximum: 604800,
    default: 3600,
    description: "Longest retry delay.",
  },
  coalesceSeconds: {
    type: "integer",
    minimum: 0,
    maximum: 3600,
    default: 0,
    description: "0: an alert starts its connection at once, and alerts raised while it is open join it. More: wait this long first, so alerts raised together share one connection (opt-in).",
  },
};

const sketch: Keys<BoardSketch> = {
  loopMs: {
    type: "integer",
    minimum: 0,
    maximum: 86400000,
    default: 0,
    description: "Period of the sketch's loop() in milliseconds; 0 = no loop.",
  },
};

function obj(description: string, props: Record<string, Field>, extra: Partial<ObjectField> = {}): ObjectField {
  return { type: "object", description, props, ...extra };
}

const top: Keys<BoardJson> = {
  $schema: { type: "string", description: 'Path of the JSON Schema for editors: "./board.schema.json".' },
  $comment: { type: "string", description: "A note for people; ignored (the shipped board.json uses it to show how to switch to an email provider's API).", defaultNote: "none" },
  device: obj("The board itself.", device, { required: true }),
  wifi: obj("The WiFi network the board joins.", wifi, { required: true }),
  smtp: obj("The mail server and the people to tell.", smtp, { required: true }),
  alerts: {
    type: "alerts",
    default: [],
    description:
      'Alert rules, each with a "kind": "digital" (a pin changes), "analog" (a reading crosses a threshold), "heartbeat" (every N hours: the heartbeat is an alert kind, there is no top-level heartbeat section) or "boot" (after a restart).',
    kinds: {
      digital: obj("A digital pin changed (door switch, button, PIR).", digitalAlert),
      analog: obj("An analog reading crossed a threshold (temperature, level).", analogAlert),
      heartbeat: obj("A mail every N hours saying the board is alive.", heartbeatAlert),
      boot: obj("A mail after every restart, with the reason when known.", bootAlert),
    },
  },
  outbox: obj("The persistent queue of alerts waiting to be sent.", outbox, { default: {} }),
  sketch: obj("The Arduino-style sketch in src/sketch.ts.", sketch, { default: {} }),
  api: API_FIELD,
};

/** The whole board.json. */
export const BOARD_SPEC: ObjectField = obj(
  "alertmail board configuration: the sensor alarm's settings, validated by `tsx tools/config/check.ts`.",
  top,
);
