// The firmware on the real board: the board's facilities (platform/board.ts) and the sketch (sketch.ts), booted (app/start.ts).
import { espruinoBoard } from "../platform/board.ts";
import { loop, setup } from "../sketch.ts";
import { startFirmware } from "./start.ts";

startFirmware(espruinoBoard({ setup: setup, loop: loop }));
