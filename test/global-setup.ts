// Builds firmware/app.js once before the tests, so every test runs the bytes the board would run.
import { buildFirmware } from "../tools/build.ts";

export default async function setup() {
  await buildFirmware();
}
