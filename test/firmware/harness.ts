// Boots the whole firmware (src/app/start.ts) on Node with every board facility faked.
import type { DeviceConfig, Mailbox } from "../../src/config.ts";
import { CONFIG_FILE } from "../../src/config.ts";
import { startFirmware } from "../../src/app/start.ts";
import type { AlertmailConsole, SketchApi } from "../../src/console-api.ts";
import { steadyTimers } from "../../src/platform/timers.ts";
import { crc32, fakeClock, fakePins, fakeSmtp, fakeStore, fakeWifi } from "./fakes.ts";

/** A JS string as the board holds it: UTF-8 bytes, one char each. */
export const bytes = (s: string) => Buffer.from(s, "utf8").toString("latin1");

const common = { cooldownSeconds: 0, maxPerHour: 0, to: [] as Mailbox[], digest: false, format: "text" as "text" | "html" };

export function testConfig(over: (c: DeviceConfig) => void = () => {}): DeviceConfig {
  const c: DeviceConfig = {
    device: { name: "Garage", timezone: "CET-1CEST,M3.5.0,M10.5.0/3", watchdogSeconds: 30, ntpServer: "pool.ntp.org" },
    wifi: { ssid: "home", password: "pw" },
    smtp: {
      host: "127.0.0.1",
      port: 465,
      security: "tls",
      user: "u",
      password: "p",
      trustedRelay: false,
      from: { name: "Garage alarm", address: "alarm@example.com" },
      to: [{ name: "Owner", address: "owner@example.com" }],
      cc: [],
      bcc: [{ name: "", address: "archive@example.com" }],
      helo: "garage.local",
      keepAliveSeconds: 0,
      timeoutSeconds: 30,
    },
    alerts: [
      { ...common, name: "door", kind: "digital", pin: "D4", pull: "up", edge: "both", debounceMs: 50, subject: "{{device}}: door {{state}}", body: "The door is {{state}} at {{time}}." },
      {
        ...common,
        name: "freezer",
        kind: "analog",
        pin: "D34",
        above: -10,
        below: null,
        hysteresis: 2,
        sampleMs: 1000,
        scale: 100,
        offset: -50,
        unit: "°C",
        format: "html",
        subject: "{{device}}: {{name}} at {{value}} {{unit}}",
        body: "<p>{{device}}: the <b>{{name}}</b> reads {{value}} {{unit}}.</p>",
      },
    ],
    outbox: { max: 20, retrySeconds: 30, maxRetrySeconds: 3600, coalesceSeconds: 2 },
    sketch: { loopMs: 0 },
  };
  over(c);
  return c;
}

export function bootFirmware(o: { store?: ReturnType<typeof fakeStore>; config?: DeviceConfig | string | null; start?: number; freeVars?: () => number; hasTls?: boolean; sketch?: { setup(api: SketchApi): void; loop: ((api: SketchApi) => void) | null } } = {}) {
  const store = o.store ?? fakeStore();
  if (o.config !== undefined && o.config !== null) store.files[CONFIG_FILE] = typeof o.config == "string" ? o.config : bytes(JSON.stringify(o.config));
  else if (o.config === undefined && store.files[CONFIG_FILE] === undefined) store.files[CONFIG_FILE] = bytes(JSON.stringify(testConfig()));
  const clock = fakeClock(o.start);
  const wifi = fakeWifi(clock.timers);
  const smtp = fakeSmtp(clock.timers);
  const pins = fakePins();
  const log: string[] = [];
  const watchdog: number[] = [];
  let api: AlertmailConsole | undefined;
  startFirmware({
    store,
    pins: pins.pins,
    // What wire.ts gives the firmware: the board's timers behind the clock-step guard (boardTimers).
    timers: steadyTimers(clock.timers, clock.now),
    log: (s) => log.push(s),
    now: clock.now,
    random: () => 0.5,
    crc: crc32,
    memory: () => ({ free: o.freeVars ? o.freeVars() : 2000, total: 3400 }),
    tls: o.hasTls ?? true,
    watchdog: (s) => watchdog.push(s),
    wifi: wifi.wifi,
    smtp: () => smtp.client,
    bootReason: () => "power-on or reset",
    expose: (v) => (api = v),
    sketch: o.sketch ?? { setup() {}, loop: null },
  });
  return {
    store,
    clock,
    wifi,
    smtp,
    pins,
    log,
    watchdog,
    get api() {
      return api!;
    },
    queued: () => Object.keys(store.files).filter((n) => n.startsWith("amq")).length,
  };
}
