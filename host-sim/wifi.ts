// require("Wifi") on the simulated ESP32 (docs/espruino.md §3): connect(ssid, {password}, cb),
// events on the module object, getIP, setHostname, setSNTP(server, tz) with tz a POSIX string,
// and NO automatic reconnect: when the access point goes away (wifiDown) the board stays down
// until the firmware calls connect again while it is back (wifiUp).
import { boardError } from "./board-error.ts";
import type { Kernel } from "./kernel.ts";
import { hostClock, type ClockHandle } from "./timers.ts";

/** The radio environment, kept across reboots (the access point does not reboot with the board). */
export interface AirWorld {
  apUp: boolean;
  /** Password the access point accepts; undefined = any. */
  password?: string;
  /** ms from connect() to an IP (or to the failure after the board's 3 retries). */
  connectMs: number;
  failMs: number;
}

export function createAirWorld(): AirWorld {
  return { apUp: true, connectMs: 30, failMs: 300 };
}

export const SIM_IP = { ip: "192.168.4.2", netmask: "255.255.255.0", gw: "192.168.4.1", mac: "24:0a:c4:00:00:01" };

export interface SimWifi {
  module: Record<string, unknown>;
  online(): boolean;
  /** The AP went away: drop the link, emit "disconnected", do not reconnect. */
  apDown(): void;
  apUp(): void;
  /** SNTP server and TZ set by the firmware. */
  sntp(): { server: string; tz: string } | null;
  hostname(): string;
  stop(): void;
}

export function createSimWifi(k: Kernel, air: AirWorld, hooks: { onDown(): void; onSntp(server: string, tz: string): void }): SimWifi {
  let status: "off" | "connecting" | "connected" = "off";
  let ssid = "";
  let hostname = "espressif";
  let sntp: { server: string; tz: string } | null = null;
  let pending: ClockHandle | null = null;
  const clock = k.clock ?? hostClock();
  let module: Record<string, unknown>;

  const emit = (ev: string, data: unknown) => (module.emit as (e: string, d: unknown) => void).call(module, ev, k.realm.toRealm(data));

  function connect(s: unknown, opts: unknown, cb?: unknown) {
    if (typeof s !== "string") throw boardError("TypeError", "Expecting a String for the SSID");
    const password = typeof opts === "object" && opts !== null ? String((opts as { password?: unknown }).password ?? "") : "";
    pending?.cancel();
    ssid = s;
    status = "connecting";
    const ok = air.apUp && (air.password === undefined || air.password === password) && password !== "invalid!";
    pending = clock.after(
      ok ? air.connectMs : air.failMs,
      () => {
        pending = null;
        if (k.dead()) return;
        if (ok && air.apUp) {
          status = "connected";
          emit("associated", { ssid, mac: SIM_IP.mac, channel: 6 });
          emit("connected", { ip: SIM_IP.ip, netmask: SIM_IP.netmask, gw: SIM_IP.gw });
          if (typeof cb === "function") k.defer(() => k.call(cb as () => void, [null]));
          if (sntp) hooks.onSntp(sntp.server, sntp.tz);
        } else {
          status = "off";
          const reason = air.apUp ? "auth_fail" : "no_ap_found";
          emit("disconnected", { ssid, mac: SIM_IP.mac, reason });
          if (typeof cb === "function") k.defer(() => k.call(cb as (e: string) => void, [reason]));
        }
      },
    );
  }

  function ipInfo() {
    return status === "connected" ? { ...SIM_IP } : { ip: "0.0.0.0", netmask: "0.0.0.0", gw: "0.0.0.0", mac: SIM_IP.mac };
  }

  module = k.realm.object({
    connect,
    disconnect(cb?: unknown) {
      pending?.cancel();
      pending = null;
      const was = status;
      status = "off";
      if (was !== "off") {
        hooks.onDown();
        emit("disconnected", { ssid, mac: SIM_IP.mac, reason: "assoc_leave" });
      }
      if (typeof cb === "function") k.defer(() => k.call(cb as () => void, []));
    },
    getIP(cb?: unknown) {
      const info = k.realm.toRealm(ipInfo());
      if (typeof cb === "function") k.defer(() => k.call(cb as (i: unknown) => void, [null, info]));
      return info;
    },
    getStatus(cb?: unknown) {
      const st = k.realm.toRealm({ station: status, ap: "disabled", mode: "STA", ssid });
      if (typeof cb === "function") k.defer(() => k.call(cb as (i: unknown) => void, [st]));
      return st;
    },
    getDetails(cb?: unknown) {
      const d = k.realm.toRealm({ status, ssid, rssi: -55 });
      if (typeof cb === "function") k.defer(() => k.call(cb as (i: unknown) => void, [d]));
      return d;
    },
    setHostname(name: unknown, cb?: unknown) {
      hostname = String(name);
      if (typeof cb === "function") k.defer(() => k.call(cb as () => void, []));
    },
    getHostname(cb?: unknown) {
      if (typeof cb === "function") k.defer(() => k.call(cb as (h: string) => void, [hostname]));
      return hostname;
    },
    setSNTP(server: unknown, tz: unknown) {
      // libs/network/esp32: the zone goes to setenv("TZ", …) — it must be a POSIX TZ string.
      if (typeof tz !== "string") throw boardError("TypeError", "Expecting a POSIX timezone string such as \"CET-1CEST,M3.5.0,M10.5.0/3\"");
      if (typeof server !== "string") throw boardError("TypeError", "Expecting a String for the NTP server");
      sntp = { server, tz };
      if (status === "connected") hooks.onSntp(server, tz);
    },
    scan(cb?: unknown) {
      const list = air.apUp ? [{ ssid: ssid || "sim-ap", mac: "24:0a:c4:00:00:ff", authMode: "wpa2", channel: 6, hidden: false, rssi: -55 }] : [];
      if (typeof cb === "function") k.defer(() => k.call(cb as (l: unknown) => void, [k.realm.toRealm(list)]));
    },
    save() {},
    restore() {},
    startAP() {
      throw boardError("Error", "Access point mode is not emulated");
    },
    stopAP() {},
  });

  return {
    module,
    online: () => status === "connected",
    apDown() {
      air.apUp = false;
      // An attempt in flight fails when its timer fires (it checks air.apUp).
      if (status === "connected") {
        status = "off";
        hooks.onDown();
        emit("disconnected", { ssid, mac: SIM_IP.mac, reason: "beacon_timeout" });
      }
    },
    apUp() {
      air.apUp = true; // no reconnect by itself (docs/espruino.md §3)
    },
    sntp: () => sntp,
    hostname: () => hostname,
    stop() {
      pending?.cancel();
      pending = null;
      status = "off";
    },
  };
}
