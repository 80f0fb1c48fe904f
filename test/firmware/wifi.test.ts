// WiFi care: retry with growing backoff forever, reconnect after every drop, SNTP with the POSIX TZ.
import { expect, test } from "vitest";
import { keepWifi, type WifiLink } from "../../src/platform/wifi.ts";
import { fakeClock, fakeWifi } from "./fakes.ts";

function start(silent = false) {
  const clock = fakeClock();
  const w = fakeWifi(clock.timers);
  w.state.silent = silent;
  const link: WifiLink = { ip: "", up: false };
  const ups: number[] = [];
  const log: string[] = [];
  keepWifi(w.wifi, clock.timers, link, { wifi: { ssid: "s", password: "p" }, device: { ntpServer: "pool.ntp.org", timezone: "CET-1CEST,M3.5.0,M10.5.0/3" } }, () => ups.push(clock.now()), (s) => log.push(s));
  return { clock, w, link, ups, log };
}

test("connects, learns the IP and sets SNTP with the POSIX TZ", () => {
  const { clock, w, link, ups } = start();
  clock.advance(200);
  expect(link).toEqual({ ip: "192.168.1.50", up: true });
  expect(ups).toHaveLength(1);
  expect(w.state.sntp).toEqual([["pool.ntp.org", "CET-1CEST,M3.5.0,M10.5.0/3"]]);
});

test("retries with doubling delays, capped, and never gives up", () => {
  const { clock, w, link } = start();
  w.state.reachable = false;
  clock.advance(24 * 3_600_000);
  expect(link.up).toBe(false);
  // 2+4+8+16+32 s then every 60 s for a day: far more than the 3 tries Espruino makes.
  expect(w.state.connects).toBeGreaterThan(1400);
  expect(w.state.connects).toBeLessThan(1500);
  w.state.reachable = true;
  clock.advance(61_000);
  expect(link.up).toBe(true);
});

test("a connect that never calls back is retried", () => {
  const { clock, w, link } = start(true);
  clock.advance(10 * 60_000);
  expect(w.state.connects).toBeGreaterThan(3);
  w.state.silent = false;
  clock.advance(3 * 60_000);
  expect(link.up).toBe(true);
});

test("reconnects after every drop", () => {
  const { clock, w, link, ups } = start();
  clock.advance(200);
  for (let i = 0; i < 3; i++) {
    w.drop();
    expect(link.up).toBe(false);
    clock.advance(10_000);
    w.state.reachable = true;
    clock.advance(10_000);
    expect(link.up).toBe(true);
  }
  expect(ups).toHaveLength(4);
});
