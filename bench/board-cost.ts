// Board cost: bundle bytes, the JS variables they cost (docs/espruino.md §4), each module's share
// from the esbuild metafile, and the largest string the firmware writes to its socket.
import type { Metafile } from "esbuild";
import { isAbsolute, relative } from "node:path";
import { VARS_PER_KB_RAM, VARS_PER_KB_STORAGE } from "../tools/budget.ts";

export { VARS_PER_KB_RAM, VARS_PER_KB_STORAGE };
/** Plan for 3,400 variables on an ESP32 without PSRAM (docs/espruino.md §4). */
export const ESP32_VARIABLES = 3400;

export interface ModuleShare {
  module: string;
  bytes: number;
  share: number;
}

export function variablesFor(bytes: number) {
  return { ram: Math.round((bytes / 1024) * VARS_PER_KB_RAM), storage: Math.round((bytes / 1024) * VARS_PER_KB_STORAGE) };
}

/** Bytes each input contributes to the bundle's output, largest first (a share of all input bytes). */
export function moduleShares(meta: Metafile, root: string): { outputBytes: number; modules: ModuleShare[] } {
  const out = Object.entries(meta.outputs).find(([name]) => name.endsWith("app.js")) ?? Object.entries(meta.outputs).find(([name]) => name.endsWith(".js"));
  if (!out) return { outputBytes: 0, modules: [] };
  const o = out[1];
  const modules = Object.entries(o.inputs)
    .map(([path, v]) => ({ module: (isAbsolute(path) ? relative(root, path) : path).replace(/\\/g, "/"), bytes: v.bytesInOutput, share: 0 }))
    .filter((m) => m.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);
  const rest = o.bytes - modules.reduce((n, m) => n + m.bytes, 0);
  if (rest > 0) modules.push({ module: "(esbuild's wrapper and glue)", bytes: rest, share: 0 });
  for (const m of modules) m.share = m.bytes / o.bytes;
  return { outputBytes: o.bytes, modules };
}

/**
 * Console code that wraps the socket write of every connection the firmware opens through
 * require("net"/"tls"), recording the largest string length written. Read it back with
 * SOCKET_WRITE_STATS_READ. It runs inside the firmware's context (board.eval), before the send.
 */
export const SOCKET_WRITE_PROBE = `(function(){["tls","net"].forEach(function(n){var m=require(n);if(m.__benchWrapped)return;m.__benchWrapped=1;m.__benchMax=0;m.__benchWrites=0;m.__benchBytes=0;var c=m.connect;m.connect=function(){var s=c.apply(m,arguments);var w=s.write;s.write=function(d){var l=String(d).length;m.__benchWrites++;m.__benchBytes+=l;if(l>m.__benchMax)m.__benchMax=l;return w.apply(s,arguments)};return s}})})()`;

export const SOCKET_WRITE_STATS_READ = `(function(){var r={max:0,writes:0,bytes:0};["tls","net"].forEach(function(n){var m=require(n);if(!m.__benchWrapped)return;if(m.__benchMax>r.max)r.max=m.__benchMax;r.writes+=m.__benchWrites;r.bytes+=m.__benchBytes;m.__benchMax=0;m.__benchWrites=0;m.__benchBytes=0});return JSON.stringify(r)})()`;
