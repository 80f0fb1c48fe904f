// The shipped board.json, loaded the way flashing loads it, boots the firmware with every rule armed.
import { expect, test } from "vitest";
import { CONFIG_FILE } from "../../src/config.ts";
import { loadBoardConfig } from "../../tools/config/load.ts";
import { configBytes } from "../../tools/flash/payload.ts";
import { fakeStore } from "./fakes.ts";
import { bootFirmware } from "./harness.ts";

test("the shipped board.json boots, arms every rule and sends their mails", () => {
  const loaded = loadBoardConfig({ env: { WIFI_SSID: "home", WIFI_PASSWORD: "wifi-secret" }, localFile: "/nonexistent/board.local.json" });
  if (!loaded.ok) throw new Error(loaded.errors.join("\n"));
  const store = fakeStore({ [CONFIG_FILE]: configBytes(loaded.config).toString("latin1") });
  const b = bootFirmware({ store });
  expect(b.log).toContain("ready");
  const status = b.api.status() as any;
  expect(Object.values(status.rules).some((r) => String(r).startsWith("not armed"))).toBe(false);
  b.clock.advance(1000);
  for (const rule of loaded.config.alerts) b.api.fire(rule.name);
  b.clock.advance(10_000);
  // boot rules mail at boot too
  const boots = loaded.config.alerts.filter((a) => a.kind === "boot").length;
  expect(b.smtp.delivered).toHaveLength(loaded.config.alerts.length + boots);
  expect(b.queued()).toBe(0);
});
