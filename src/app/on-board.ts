// The real board (platform/board.ts) with the sketch (sketch.ts), booted (app/start.ts).
import { espruinoBoard } from "../platform/board.ts";
import { loop, setup } from "../sketch.ts";
import { startFirmware } from "./start.ts";

startFirmware(espruinoBoard({ setup: setup, loop: loop }));
