// Firmware entry point: the real board's facilities booted (app/on-board.ts → app/start.ts).
import "./app/on-board.ts";
