// Builds firmware/app.js once before the tests (bundle check and budget included), so every test runs
// the bytes the board would run. A board.json problem is reported but does not stop the firmware build:
// the bundle never contains the configuration, and test/build checks board validation on its own.
import { buildFirmware, formatSize } from "../tools/build.ts";

export default async function setup() {
  let r = await buildFirmware();
  if (r.stage === "board") {
    console.warn(`global setup: board.json did not validate, building the firmware without it:\n  ${r.errors.join("\n  ")}`);
    r = await buildFirmware({ board: false });
  }
  if (!r.ok) throw new Error(`firmware build failed:\n${r.errors.join("\n")}`);
  console.log(formatSize(r.size!).join("\n"));
}
