// Variables the API path costs on Espruino's own interpreter ($ESPRUINO, the ESP32's variable format), the
// whole firmware flashed by `npm run flash` (amapi.js included), sending over plain HTTP to the postmark
// mock so that no TLS memory is counted (the PC build's mbedtls takes its memory from the variables; an
// ESP32's does not). Prints the figures; asserts they fit an ESP32's 3,400 and that a send leaks nothing
// (the first one loads amapi.js and the board's http module once: measured +232 variables, then flat).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startApiSink } from "../../host-sim/api/api-sink.ts";
import { ROOT } from "../../tools/build.ts";
import { startRealBoard } from "../real/harness.ts";
import { htmlInInterpreter, waitSent } from "../real/measure.ts";

const APP = process.env.API_FW_APP ?? join(ROOT, "firmware", "app.js");
const wired = existsSync(APP) && readFileSync(APP, "latin1").includes("amapi.js");
const BIN = process.env.ESPRUINO;
const READ_PEAK = "(function(){var r={max:__rl.max,n:__rl.n};__rl.sample(0);return r})()";

describe.skipIf(!BIN || !existsSync(BIN) || !wired)("API path memory on the real interpreter", () => {
  it("at rest, a short alert and a 20 KB HTML alert fit 3,400 variables, and nothing stays after", async () => {
    const sink = await startApiSink({ provider: "postmark", key: "k-real", tls: false });
    const b = await startRealBoard({
      appFile: APP,
      board: {
        device: { name: "Garage", timezone: "UTC" },
        wifi: { ssid: "real-lane", password: "real-lane-wifi" },
        smtp: { from: "Garage alarm <alarm@real.alertmail.local>", to: ["Owner <owner@real.alertmail.local>"] },
        alerts: [],
        api: { provider: "postmark", key: "k-real", url: `http://127.0.0.1:${sink.port}/email` },
      },
    });
    try {
      await b.idle(0);
      await new Promise((r) => setTimeout(r, 500));
      const rl = await b.eval<{ m0: number; m1: number }>("({m0:__rl.m0,m1:__rl.m1})");
      const standIns = rl.m1 - rl.m0;
      const rest = (await b.usage()) - standIns;
      let from = b.lines.length;
      await b.eval("(__rl.sample(1),alertmail.test(),1)");
      await waitSent(b, "Garage: test mail", from);
      const short = await b.eval<{ max: number; n: number }>(READ_PEAK);
      // The first send loads amapi.js once (kept for the next ones) and the board's http module.
      const afterFirst = (await b.usage()) - standIns;
      from = b.lines.length;
      await b.eval(`(function(){var h=${htmlInInterpreter(20 * 1024)};alertmail.send({subject:"real 20 KB HTML",html:h});h=undefined;__rl.sample(1);return 1})()`);
      await waitSent(b, "real 20 KB HTML", from);
      const html = await b.eval<{ max: number; n: number }>(READ_PEAK);
      const after = (await b.usage()) - standIns;
      console.log(`API path (plain HTTP, TLS apart): rest ${rest}, peak short alert ${short.max - standIns} (${short.n} samples), peak 20 KB HTML ${html.max - standIns} (${html.n} samples), after the first send ${afterFirst}, after the second ${after} variables`);
      expect(sink.messages).toHaveLength(2);
      expect(short.max - standIns).toBeLessThan(3400);
      expect(html.max - standIns).toBeLessThan(3400);
      // Loaded once, then nothing grows from one send to the next.
      expect(afterFirst - rest).toBeLessThan(300);
      expect(Math.abs(after - afterFirst)).toBeLessThan(50);
    } finally {
      await b.stop();
      await sink.close();
    }
  }, 600000);
});
