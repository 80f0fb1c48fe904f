// Maps bundle-check hits back to the TypeScript source through the source map, and applies the
// `bundle-check-ok: <rule>` source comments (the escape hatch for what the check cannot tell apart).
import { relative, resolve } from "node:path";
import { SourceMapConsumer, type RawSourceMap } from "source-map-js";
import type { BundleHit } from "./bundle-check.ts";

/**
 * The escape hatch for what the check cannot tell apart (an Array's `indexOf("PLAIN")` is fine, a
 * string's is the trap): a source comment on the hit's line, or a comment line just above it,
 * `// bundle-check-ok: needle-indexOf (AUTH mechanisms are an array)`, allows the listed rule ids there.
 */
const ALLOW = /bundle-check-ok:\s*([\w.-]+(?:\s*,\s*[\w.-]+)*)/;

function allowedBy(lines: string[], line: number, rule: string): boolean {
  const above = lines[line - 2];
  // The line above counts only when it is a comment of its own (not another statement's trailing comment).
  const candidates = [lines[line - 1], above !== undefined && /^\s*(\/\/|\/\*|\*)/.test(above) ? above : undefined];
  for (const text of candidates) {
    const m = text === undefined ? null : ALLOW.exec(text);
    if (m && m[1].split(",").map((r) => r.trim()).includes(rule)) return true;
  }
  return false;
}

/** Adds each hit's original position; returns the hits a `bundle-check-ok` comment in the source allows. */
export function addSources(hits: BundleHit[], map: string | RawSourceMap, mapDir: string, root: string): Set<BundleHit> {
  const consumer = new SourceMapConsumer(typeof map === "string" ? (JSON.parse(map) as RawSourceMap) : map);
  const allowed = new Set<BundleHit>();
  const sourceLines = new Map<string, string[]>();
  for (const h of hits) {
    const pos = consumer.originalPositionFor({ line: h.line, column: h.column - 1 });
    if (!pos.source || pos.line === null) continue;
    h.source = { file: relative(root, resolve(mapDir, pos.source)), line: pos.line, column: pos.column + 1 };
    // Minified names: say the original one (`e()` in the bundle is `greet()` in the source).
    if (h.minifiedName && pos.name) h.message = h.message.split(`\`${h.minifiedName}`).join(`\`${pos.name}`);
    if (!sourceLines.has(pos.source)) sourceLines.set(pos.source, (consumer.sourceContentFor(pos.source, true) ?? "").split("\n"));
    if (allowedBy(sourceLines.get(pos.source)!, pos.line, h.rule)) allowed.add(h);
  }
  return allowed;
}
