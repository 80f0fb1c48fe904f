// Scenario files are checked like board.json before anything is built (issue 14 item 8): key paths and
// did-you-mean, pins the ESP32 has, alerts that exist, a missing file said at once; a failed event fails the run.
import { describe, expect, it } from "vitest";
import { checkScenario } from "../../host-sim/scenario.ts";
import { boardVariant, jsonFile, start } from "./support.ts";

const errorsOf = (raw: unknown, alerts?: string[]) => {
  const r = checkScenario(raw, alerts);
  return r.ok ? [] : r.errors;
};

describe("checkScenario", () => {
  it('reports a misspelt key at its path with a did-you-mean ("levle")', () => {
    expect(errorsOf([{ at: 100, pin: "D4", levle: 0 }])).toEqual([
      'events[0].levle: unknown key; did you mean "level"? (expected one of: at, pin, analog, wifi, reboot, fault, console, fire, level, value)',
    ]);
    expect(errorsOf({ events: [], expectMail: 2 })[0]).toMatch(/^expectMail: unknown key; did you mean "expectMails"\?/);
  });

  it('refuses a pin the ESP32 does not have ("D99") and says write "D4" for a number', () => {
    expect(errorsOf([{ at: 1, pin: "D99", level: 1 }])).toEqual([`events[0].pin: found "D99"; expected a pin the ESP32 has, "D0".."D39"`]);
    expect(errorsOf([{ at: 1, analog: 34, value: 0.5 }])[0]).toMatch(/^events\[0\]\.analog: found 34; .*\(write "D34"\)/);
  });

  it("checks values: levels, analog range, WiFi, fault steps and replies, alert names", () => {
    const errors = errorsOf(
      [
        { at: 1, pin: "D4", level: "high" },
        { at: 2, analog: "D34", value: 3.3 },
        { at: 3, wifi: "off" },
        { at: 4, fault: { at: "rpct", reply: "451 later" } },
        { at: 5, fault: { at: "data", reply: "try later" } },
        { at: 6, fire: "dialy" },
        { at: -1, reboot: true },
        { at: 7, wifi: "down", reboot: true },
      ],
      ["door", "daily"],
    );
    expect(errors).toEqual([
      expect.stringMatching(/^events\[0\]\.level: found "high"/),
      expect.stringMatching(/^events\[1\]\.value: found 3\.3; expected the raw reading, a number from 0 to 1/),
      expect.stringMatching(/^events\[2\]\.wifi: found "off"; expected "down" or "up"/),
      expect.stringMatching(/^events\[3\]\.fault\.at: found "rpct"; .*\(did you mean "rcpt"\?\)/),
      expect.stringMatching(/^events\[4\]\.fault\.reply: found "try later"; expected an SMTP reply/),
      expect.stringMatching(/^events\[5\]\.fire: found "dialy"; expected an alert of the configuration: "door", "daily" \(did you mean "daily"\?\)/),
      expect.stringMatching(/^events\[6\]\.at: found -1/),
      expect.stringMatching(/^events\[7\]: must have exactly one of/),
    ]);
  });

  it("accepts the shipped examples and sorts events by time", () => {
    const r = checkScenario([{ at: 500, wifi: "up" }, { at: 100, wifi: "down" }, { at: 200, fault: { disconnectAt: "body" } }]);
    expect(r.ok && r.scenario.events.map((e) => e.at)).toEqual([100, 200, 500]);
  });
});

describe("npm start -- --scenario", { timeout: 120000 }, () => {
  it("a missing file is reported before anything is built, with exit status 1", async () => {
    const r = await start(["--scenario", "host-sim/scenarios/no-such.json"]);
    expect(r.code).toBe(1);
    expect(r.text).toMatch(/no-such\.json: no such file/);
    expect(r.text).not.toMatch(/ENOENT/);
    expect(r.text).not.toMatch(/running|embedded SMTP server|Storage/);
  });

  it("a typo is reported with its key path before booting", async () => {
    const file = jsonFile("s.json", [{ at: 100, pin: "D4", levle: 0 }]);
    const r = await start(["--scenario", file]);
    expect(r.code).toBe(1);
    expect(r.text).toMatch(/s\.json: events\[0\]\.levle: unknown key; did you mean "level"\?/);
    expect(r.text).not.toMatch(/embedded SMTP server/);
  });

  it("an event that fails at run time makes the exit status non-zero", async () => {
    // Valid JSON and a known alert, but the console code throws on the board.
    const file = jsonFile("s.json", { events: [{ at: 100, console: "nosuchfunction()" }], settleMs: 0 });
    const r = await start(["--scenario", file, "--board", boardVariant()]);
    expect(r.text).toMatch(/event failed/);
    expect(r.text).toMatch(/✘ 1 event\(s\) failed/);
    expect(r.code).toBe(1);
  });
});
