// `npm run build`: validate board.json, bundle src/main.ts into ONE Espruino-safe minified IIFE,
// check the bundle for what the board cannot run, measure it against the budget, then write
// firmware/app.js (+ .map, size.json, meta.json). Nothing is written unless every step passed.
// CLI: `tsx tools/build.ts [--board FILE] [--outdir DIR]`.
import { build, type BuildOptions, type Message, type Metafile } from "esbuild";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { FIRMWARE_BUDGET_BYTES, VARS_PER_KB_RAM, VARS_PER_KB_STORAGE } from "./budget.ts";
import { BUILTIN_MODULES, checkBundle, formatHit, type BundleHit } from "./bundle-check.ts";
import { apiSecrets } from "./config/api-spec.ts";
import { loadBoardConfig } from "./config/load.ts";

export { BUILTIN_MODULES };
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const FIRMWARE_DIR = join(ROOT, "firmware");
export const APP_JS = join(FIRMWARE_DIR, "app.js");

/** The esbuild options every firmware bundle is made with (tests bundle fixtures with the same). */
export function esbuildOptions(entry: string, outfile: string): BuildOptions & { metafile: true; write: false } {
  return {
    entryPoints: [entry],
    outfile,
    absWorkingDir: ROOT,
    bundle: true,
    // One IIFE, made by hand: with format "iife" esbuild routes every require() of an ES module through
    // its `__require` shim (~250 bytes, and the module names disappear from the bundle); with "cjs" the
    // built-ins stay literal `require("net")` calls. A bundle must still have no exports (trap 8).
    format: "cjs",
    banner: { js: '"use strict";(()=>{' },
    footer: { js: "})();" },
    platform: "neutral",
    target: "es2015",
    charset: "utf8",
    minify: true,
    sourcemap: "external",
    metafile: true,
    write: false,
    legalComments: "none",
    external: BUILTIN_MODULES,
    logLevel: "silent",
    // docs/espruino.md §1: syntax the board cannot run becomes a build error with file and line.
    supported: {
      destructuring: false,
      "default-argument": false,
      "rest-argument": false,
      "array-spread": false,
      "async-await": false,
      generator: false,
    },
  };
}

/** Bytes of the bundle per top-level part of src/ (src/mime, src/smtp, …, other). */
export type SizeShares = Record<string, number>;

export interface SizeReport {
  bytes: number;
  budgetBytes: number;
  /** Estimated JS variables the code costs on the board (docs/espruino.md §4). */
  variablesFromRam: number;
  variablesFromStorage: number;
  /** Bytes in the output from each part; "wrapper" is what esbuild adds around the modules. */
  shares: SizeShares;
}

export interface BuildOptionsIn {
  /** Entry module (default src/main.ts). */
  entry?: string;
  /** Output folder (default firmware/); app.js, app.js.map, size.json and meta.json go there. */
  outdir?: string;
  /** board.json to validate first; `false` skips validation (only for bundling fixtures). */
  board?: string | false;
  /** Environment for `${NAME}` placeholders in board.json (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Size budget in bytes (default FIRMWARE_BUDGET_BYTES from tools/budget.ts). */
  budgetBytes?: number;
}

export interface BuildResult {
  ok: boolean;
  /** The step that failed ("board" validation, "bundle" = esbuild, "check" = bundle check, secrets or budget), or "done". */
  stage: "board" | "bundle" | "check" | "done";
  /** Every reason the build failed, one human-readable line each. */
  errors: string[];
  /** Bundle-check hits (also in errors when there are any). */
  hits: BundleHit[];
  /** Hits a `bundle-check-ok: <rule>` source comment allowed (printed, not failing). */
  allowed: BundleHit[];
  /** esbuild's warnings, "file:line:col: text" (printed, not failing). */
  warnings: string[];
  size?: SizeReport;
  appJs: string;
}

/** Shorter "secrets" (an empty password = open WiFi / no AUTH) would match by chance: not checked. */
const MIN_SECRET_LENGTH = 6;

const SHARE_FOLDERS = ["src/mime", "src/smtp", "src/rules", "src/outbox", "src/platform"];

/** Attributes each input's bytes in the bundle to its top-level src folder. */
export function sizeShares(metafile: Metafile, outfileKey: string, totalBytes: number): SizeShares {
  const shares: SizeShares = {};
  for (const f of SHARE_FOLDERS) shares[f] = 0;
  shares.other = 0;
  const out = metafile.outputs[outfileKey];
  let counted = 0;
  for (const [input, info] of Object.entries(out?.inputs ?? {})) {
    const folder = SHARE_FOLDERS.find((f) => input.startsWith(`${f}/`)) ?? "other";
    shares[folder] += info.bytesInOutput;
    counted += info.bytesInOutput;
  }
  shares.wrapper = totalBytes - counted;
  return shares;
}

function esbuildMessage(m: Message): string {
  const where = m.location ? `${m.location.file}:${m.location.line}:${m.location.column + 1}: ` : "";
  // "Transforming X to the configured target environment … is not supported yet": say why instead.
  const refused = /^Transforming (.+?) to the configured target environment/.exec(m.text);
  const text = refused ? `${refused[1]} cannot be used in firmware: Espruino 2v29 cannot run it and esbuild cannot lower it (docs/espruino.md §1)` : m.text;
  return `${where}${text}`;
}

/** Runs every step; writes into `outdir` only when all of them passed. Never throws for a bad build. */
export async function buildFirmware(opts: BuildOptionsIn = {}): Promise<BuildResult> {
  const outdir = resolve(opts.outdir ?? FIRMWARE_DIR);
  const appJs = join(outdir, "app.js");
  const allowed: BundleHit[] = [];
  const warnings: string[] = [];
  const fail = (stage: BuildResult["stage"], errors: string[], hits: BundleHit[] = [], size?: SizeReport): BuildResult => ({
    ok: false,
    stage,
    errors,
    hits,
    allowed,
    warnings,
    size,
    appJs,
  });

  // 1. board.json: the configuration never enters the bundle, but a bad one stops the build.
  /** [key path, value] of every secret in the configuration, to prove none of them reached the output. */
  let secrets: [string, string][] = [];
  if (opts.board !== false) {
    const board = resolve(opts.board ?? join(ROOT, "board.json"));
    const loaded = loadBoardConfig({ file: board, env: opts.env ?? process.env });
    // Each error names its file: board.json's key paths get its name, errors of board.local.json already say theirs.
    const named = (e: string) => (/^[^"\s]*\.json(:\d+:\d+)?: /.test(e) ? e : `${relative(process.cwd(), board) || board}: ${e}`);
    if (!loaded.ok) return fail("board", loaded.errors.map(named));
    secrets = [
      ["wifi.password", loaded.config.wifi.password],
      ["smtp.password", loaded.config.smtp.password],
      // The api key, as its preset presents it (every header but the content type ones).
      ...apiSecrets(loaded.config),
    ];
  }

  // 2. esbuild, in memory.
  const entry = resolve(opts.entry ?? join(ROOT, "src", "main.ts"));
  let result;
  try {
    result = await build(esbuildOptions(entry, appJs));
    warnings.push(...result.warnings.map(esbuildMessage));
  } catch (e) {
    const errs = (e as { errors?: Message[] }).errors;
    return fail("bundle", errs?.length ? errs.map(esbuildMessage) : [String((e as Error).message ?? e)]);
  }
  const jsFile = result.outputFiles.find((f) => f.path === appJs)!;
  const mapFile = result.outputFiles.find((f) => f.path === `${appJs}.map`)!;

  // 3. The bundle check.
  const shownName = relative(process.cwd(), appJs) || appJs;
  const hits = checkBundle(jsFile.text, { map: mapFile.text, mapDir: outdir, root: ROOT, allowed });
  const errors = hits.map((h) => formatHit(h, shownName));
  // Secrets travel to the board in Storage file alertmail.json, never in the code (the value is not printed).
  for (const [key, value] of secrets) {
    if (value.length >= MIN_SECRET_LENGTH && (jsFile.text.includes(value) || mapFile.text.includes(value))) {
      errors.push(`${shownName} or its source map contains the value of ${key} from board.json: secrets must stay out of src/ (they reach the board in Storage file alertmail.json)`);
    }
  }

  // 4. Size.
  const bytes = jsFile.contents.length;
  const budgetBytes = opts.budgetBytes ?? FIRMWARE_BUDGET_BYTES;
  const outKey = Object.keys(result.metafile.outputs).find((k) => resolve(ROOT, k) === appJs)!;
  const size: SizeReport = {
    bytes,
    budgetBytes,
    variablesFromRam: Math.round((bytes / 1024) * VARS_PER_KB_RAM),
    variablesFromStorage: Math.round((bytes / 1024) * VARS_PER_KB_STORAGE),
    shares: sizeShares(result.metafile, outKey, bytes),
  };
  if (bytes > budgetBytes) {
    errors.push(`${shownName} is ${bytes} bytes, over the budget of ${budgetBytes} bytes by ${bytes - budgetBytes} (the budget is kept in tools/budget.ts)`);
  }
  if (errors.length) return fail("check", errors, hits, size);

  // 5. Write, each file via a temporary name and a rename, so readers never see half a bundle.
  mkdirSync(outdir, { recursive: true });
  const put = (name: string, data: string | Uint8Array) => {
    const tmp = join(outdir, `.${name}.${process.pid}.tmp`);
    writeFileSync(tmp, data);
    renameSync(tmp, join(outdir, name));
  };
  put("app.js.map", mapFile.contents);
  put("meta.json", JSON.stringify(result.metafile));
  put("size.json", `${JSON.stringify(size, null, 2)}\n`);
  put("app.js", jsFile.contents);
  return { ok: true, stage: "done", errors: [], hits, allowed, warnings, size, appJs };
}

/** The size lines the build prints. */
export function formatSize(size: SizeReport): string[] {
  const kb = (n: number) => (n / 1024).toFixed(1);
  const pct = Math.round((size.bytes / size.budgetBytes) * 100);
  const lines = [
    `app.js: ${size.bytes} bytes (${kb(size.bytes)} KB, ${pct}% of the ${kb(size.budgetBytes)} KB budget)`,
    `  ≈ ${size.variablesFromRam} variables run from RAM, ≈ ${size.variablesFromStorage} run from Storage (of ~3400 on an ESP32 without PSRAM)`,
  ];
  for (const [part, n] of Object.entries(size.shares)) lines.push(`  ${part.padEnd(13)} ${String(n).padStart(6)} bytes`);
  return lines;
}

function parseArgs(argv: string[]): BuildOptionsIn {
  const opts: BuildOptionsIn = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--board" && argv[i + 1]) opts.board = argv[++i];
    else if (a === "--outdir" && argv[i + 1]) opts.outdir = argv[++i];
    else throw new Error(`unknown argument ${a}; usage: npm run build -- [--board FILE] [--outdir DIR]`);
  }
  return opts;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  let opts: BuildOptionsIn;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    process.exit(2);
  }
  buildFirmware(opts).then(
    (r) => {
      if (r.size) for (const line of formatSize(r.size)) console.log(line);
      for (const w of r.warnings) console.warn(`esbuild warning: ${w}`);
      for (const h of r.allowed) console.log(`allowed by a bundle-check-ok comment: ${formatHit(h, relative(process.cwd(), r.appJs))}`);
      if (!r.ok) {
        for (const e of r.errors) console.error(e);
        console.error(`build failed: ${r.errors.length} problem(s); nothing was written to ${relative(process.cwd(), dirname(r.appJs)) || "."}/`);
        process.exit(1);
      }
      console.log(`wrote ${relative(process.cwd(), r.appJs)}`);
    },
    (e) => {
      console.error(e?.stack ?? e);
      process.exit(1);
    },
  );
}
