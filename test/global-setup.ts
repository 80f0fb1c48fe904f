// Builds firmware/app.js once before the tests (bundle check and budget included), so every test runs
// the bytes the board would run. A board.json problem is reported and the firmware is built without it
// (the bundle never contains the configuration). A failed firmware build fails the whole run: the tests
// that load firmware/app.js would otherwise run against whatever stale bundle is on disk.
import { buildFirmware, formatSize } from "../tools/build.ts";

export default async function setup() {
  let r = await buildFirmware();
  if (r.stage === "board") {
    console.warn(`global setup: board.json did not validate; building the firmware without it:\n  ${r.errors.join("\n  ")}`);
    r = await buildFirmware({ board: false });
  }
  if (!r.ok) {
    throw new Error(`global setup: FIRMWARE BUILD FAILED (${r.stage}); no test runs against a stale firmware/app.js:\n  ${r.errors.join("\n  ")}`);
  }
  console.log(formatSize(r.size!).join("\n"));
}
