// Builds the API transport's Storage file (src/api/module.ts → API_MODULE) with the firmware's esbuild
// settings and bundle check, synchronously, for the flash payload: it is written only when the
// configuration has an api section, so firmware/app.js never carries it.
import { buildSync } from "esbuild";
import { join } from "node:path";
import { API_MODULE } from "../src/api/settings.ts";
import type { DeviceConfig } from "../src/config.ts";
import { esbuildOptions, ROOT } from "./build.ts";
import { checkBundle, formatHit } from "./bundle-check.ts";

export const API_MODULE_ENTRY = join(ROOT, "src", "api", "module.ts");
/** Most bytes the module may have: it is evaluated from Storage at boot (about 27 variables per KB stay). */
export const API_MODULE_BUDGET_BYTES = 4096;

let cached: { code: Buffer; map: string } | null = null;

/** The module's bytes: one expression, `(function(){"use strict";var __amapi;…;return __amapi})()`. Throws on a bundle-check hit. */
export function buildApiModule(): { code: Buffer; map: string } {
  if (cached) return cached;
  const out = join(ROOT, "firmware", API_MODULE);
  const o = esbuildOptions(API_MODULE_ENTRY, out);
  const r = buildSync({ ...o, banner: { js: '(function(){"use strict";var __amapi;' }, footer: { js: "return __amapi})()" } });
  const js = r.outputFiles.find((f) => f.path === out);
  const map = r.outputFiles.find((f) => f.path === `${out}.map`);
  if (!js || !map) throw new Error(`esbuild wrote no ${API_MODULE}`);
  const hits = checkBundle(js.text, { map: map.text, mapDir: join(ROOT, "firmware"), root: ROOT });
  if (hits.length) throw new Error(`${API_MODULE}: ${hits.map((h) => formatHit(h, API_MODULE)).join("; ")}`);
  if (js.contents.length > API_MODULE_BUDGET_BYTES) throw new Error(`${API_MODULE} is ${js.contents.length} bytes, over its budget of ${API_MODULE_BUDGET_BYTES} (tools/api-module.ts)`);
  cached = { code: Buffer.from(js.contents), map: map.text };
  return cached;
}

/** The Storage file to add to a flash when the configuration sends through an API ([] otherwise). */
export function apiModuleFiles(config: DeviceConfig): { name: string; data: Buffer }[] {
  return (config as { api?: unknown }).api ? [{ name: API_MODULE, data: buildApiModule().code }] : [];
}
