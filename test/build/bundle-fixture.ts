// Test helper: bundles a fixture with exactly the firmware's esbuild options, in memory.
import { build } from "esbuild";
import { join } from "node:path";
import { esbuildOptions, ROOT } from "../../tools/build.ts";

export const FIXTURES = join(ROOT, "test", "fixtures", "bundle");

/** The minified bundle and its source map, as `npm run build` would write them next to `outfile`. */
export async function bundleFixture(entry: string, outfile = join(ROOT, "test", ".tmp", "fixture.js")) {
  const r = await build(esbuildOptions(entry, outfile));
  const code = r.outputFiles.find((f) => f.path === outfile)!.text;
  const map = r.outputFiles.find((f) => f.path === `${outfile}.map`)!.text;
  return { code, map };
}
