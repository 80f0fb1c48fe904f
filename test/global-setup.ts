// Builds firmware/app.js once before the tests (bundle check and budget included), so every test runs
// the bytes the board would run. It never aborts the run: a board.json problem is reported and the
// firmware is built without it (the bundle never contains the configuration), and a firmware build
// failure is printed loudly while test/build/real-bundle.test.ts fails on its own build. Aborting here
// would hide every other result behind one error.
import { buildFirmware, formatSize } from "../tools/build.ts";

export default async function setup() {
  let r = await buildFirmware();
  if (r.stage === "board") {
    console.warn(`global setup: board.json did not validate; building the firmware without it:\n  ${r.errors.join("\n  ")}`);
    r = await buildFirmware({ board: false });
  }
  if (!r.ok) {
    console.error(`\nglobal setup: FIRMWARE BUILD FAILED, firmware/app.js was not written:\n  ${r.errors.join("\n  ")}\n`);
    return;
  }
  console.log(formatSize(r.size!).join("\n"));
}
