// Firmware entry point: the board's wiring and boot sequence live in app/ (wire.ts → start.ts).
import "./app/wire.ts";
