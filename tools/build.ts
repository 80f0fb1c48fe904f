// `npm run build`: bundle src/main.ts into ONE Espruino-safe minified IIFE, firmware/app.js.
import { build } from "esbuild";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const APP_JS = join(ROOT, "firmware", "app.js");
/** Espruino's built-in modules: the only require() calls allowed to remain (shared/espruino.md §6). */
export const BUILTIN_MODULES = ["net", "tls", "Wifi", "Storage", "ESP32", "crypto"];

export async function buildFirmware(opts: { entry?: string; outfile?: string } = {}) {
  const outfile = opts.outfile ?? APP_JS;
  mkdirSync(dirname(outfile), { recursive: true });
  const result = await build({
    entryPoints: [opts.entry ?? join(ROOT, "src", "main.ts")],
    outfile,
    bundle: true,
    format: "iife",
    platform: "neutral",
    target: "es2015",
    charset: "utf8",
    minify: true,
    sourcemap: "external",
    metafile: true,
    legalComments: "none",
    external: BUILTIN_MODULES,
    logLevel: "silent",
    // shared/espruino.md §1: syntax the board cannot run becomes a build error with file and line.
    supported: {
      destructuring: false,
      "default-argument": false,
      "rest-argument": false,
      "array-spread": false,
      "async-await": false,
      generator: false,
    },
  });
  return result;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  buildFirmware().then(
    (r) => {
      const bytes = Object.values(r.metafile!.outputs).find((o) => o.entryPoint)?.bytes ?? 0;
      console.log(`firmware/app.js ${bytes} bytes`);
    },
    (e) => {
      console.error(e.message ?? e);
      process.exit(1);
    },
  );
}
