// Your own code for what board.json can't express (docs/sketch.md): setup() runs once at boot, loop() every sketch.loopMs.
import type { SketchApi } from "./console-api.ts";

export function setup(api: SketchApi): void {}

/** Set to a function to have it called every sketch.loopMs milliseconds (0 = never). */
export const loop: ((api: SketchApi) => void) | null = null;
