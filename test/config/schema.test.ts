// board.schema.json and docs/board-reference.md are generated, committed, and agree with the validator.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { referenceText, REFERENCE_FILE } from "../../tools/config/reference.ts";
import { committedSchemaText, schemaText } from "../../tools/config/schema.ts";
import { BOARD_SPEC, type Field } from "../../tools/config/spec.ts";
import { validateBoard } from "../../tools/config/validate.ts";
import { FIXTURES, ROOT } from "./cli.ts";

type Schema = Record<string, any>;
const schema = (): Schema => JSON.parse(committedSchemaText());

test("the committed board.schema.json is exactly what tools/config/schema.ts generates", () => {
  expect(committedSchemaText()).toBe(schemaText());
});

test("the committed docs/board-reference.md is exactly what tools/config/reference.ts generates", () => {
  expect(readFileSync(REFERENCE_FILE, "utf8")).toBe(referenceText());
});

test("the reference documents every key of every section and alert kind", () => {
  const doc = readFileSync(REFERENCE_FILE, "utf8");
  const walk = (f: Field, prefix: string) => {
    if (f.type === "object") for (const [k, p] of Object.entries(f.props)) {
      expect(doc).toContain(`| \`${prefix}${k}\` |`);
      if (p.type === "object" || p.type === "alerts") walk(p, `${prefix}${k}.`);
    }
    if (f.type === "alerts") for (const kind of Object.values(f.kinds)) walk(kind, `${prefix}[].`.replace(".[]", "[]"));
  };
  walk(BOARD_SPEC, "");
  expect(doc).toContain("### kind `\"heartbeat\"`");
});

test("the schema names exactly the keys the validator accepts, section by section", () => {
  const keysOf = (s: Schema, path: string, out: Record<string, string[]>) => {
    if (s.properties) {
      out[path] = Object.keys(s.properties);
      expect(s.additionalProperties, path).toBe(false);
      for (const [k, p] of Object.entries<Schema>(s.properties)) keysOf(p, path ? `${path}.${k}` : k, out);
    }
    if (s.items?.oneOf) for (const kind of s.items.oneOf) keysOf(kind, `${path}[${kind.properties.kind.const}]`, out);
    return out;
  };
  const specKeys = (f: Field, path: string, out: Record<string, string[]>) => {
    if (f.type === "object") {
      out[path] = Object.keys(f.props);
      for (const [k, p] of Object.entries(f.props)) specKeys(p, path ? `${path}.${k}` : k, out);
    }
    if (f.type === "alerts") for (const [kind, spec] of Object.entries(f.kinds)) specKeys(spec, `${path}[${kind}]`, out);
    return out;
  };
  const fromSchema = keysOf(schema(), "", {});
  expect(fromSchema).toEqual(specKeys(BOARD_SPEC, "", {}));
  expect(Object.keys(fromSchema)).toEqual(
    expect.arrayContaining(["device", "wifi", "smtp", "alerts[digital]", "alerts[analog]", "alerts[heartbeat]", "alerts[boot]", "outbox", "sketch"]),
  );
  // Every key the schema lists is accepted by the validator (a key it does not list is refused).
  const board = JSON.parse(readFileSync(join(ROOT, "board.json"), "utf8"));
  for (const section of ["device", "wifi", "smtp", "outbox", "sketch"]) {
    for (const key of fromSchema[section]) {
      const r = validateBoard({ ...board, [section]: { ...board[section], [`${key}X`]: 1 } });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.errors[0]).toMatch(new RegExp(`^${section}\\.${key.replace("$", "\\$")}X: unknown key; did you mean "${key.replace("$", "\\$")}"\\?`));
    }
  }
});

test("there is no top-level heartbeat section, and the schema says heartbeat is an alert kind", () => {
  const s = schema();
  expect(s.properties.heartbeat).toBeUndefined();
  expect(s.properties.alerts.description).toMatch(/heartbeat is an alert kind, there is no top-level heartbeat section/);
});

test("board.json points editors at the schema and documents every default", () => {
  expect(JSON.parse(readFileSync(join(ROOT, "board.json"), "utf8")).$schema).toBe("./board.schema.json");
  const s = schema();
  expect(s.$schema).toBe("http://json-schema.org/draft-07/schema#");
  const undocumented: string[] = [];
  const walk = (node: Schema, path: string) => {
    if (!node.description) undocumented.push(path);
    for (const [k, p] of Object.entries<Schema>(node.properties ?? {})) {
      const required = node.required?.includes(k);
      if (!required && k !== "$schema" && p.default === undefined && !/Default: /.test(p.description ?? "")) {
        undocumented.push(`${path}.${k} (default)`);
      }
      walk(p, `${path}.${k}`);
    }
    for (const kind of node.items?.oneOf ?? []) walk(kind, `${path}[]`);
  };
  walk(s, "");
  expect(undocumented).toEqual([]);
});

test("the schema and the validator agree on the fixtures", () => {
  const s = schema();
  const cases: [string, boolean][] = [
    ["valid-small", true],
    ["invalid-missing-key", false],
    ["invalid-wrong-type", false],
    ["invalid-unknown-key", false],
    ["invalid-port-0", false],
    ["invalid-port-70000", false],
    ["invalid-starttls", false],
    ["invalid-crlf-subject", false],
    ["invalid-top-level-heartbeat", false],
  ];
  for (const [name, valid] of cases) {
    const json = JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), "utf8"));
    expect(schemaErrors(s, json, "", s), name).toEqual(valid ? [] : expect.arrayContaining([expect.any(String)]));
    expect(validateBoard(json).ok, name).toBe(valid);
  }
  expect(schemaErrors(s, JSON.parse(readFileSync(join(ROOT, "board.json"), "utf8")), "", s)).toEqual([]);
});

test("BoardJson, the spec and DeviceConfig agree (tsc on tools/config and test/config)", async () => {
  const tsc = join(ROOT, "node_modules", ".bin", "tsc");
  const out = await new Promise<string>((resolve) =>
    execFile(tsc, ["-p", join(ROOT, "tools", "config", "tsconfig.json")], { cwd: ROOT }, (err, stdout, stderr) =>
      resolve(err ? `${stdout}${stderr}` || String(err) : ""),
    ),
  );
  expect(out).toBe("");
});

/** A small JSON Schema (draft-07 subset used by board.schema.json) checker, independent of the validator. */
function schemaErrors(s: Schema, v: any, path: string, root: Schema): string[] {
  const errs: string[] = [];
  const typeOk = (t: string) =>
    t === "integer" ? Number.isInteger(v) : t === "null" ? v === null : t === "array" ? Array.isArray(v) : t === "object" ? typeof v === "object" && v !== null && !Array.isArray(v) : typeof v === t;
  if (s.type && ![s.type].flat().some(typeOk)) return [`${path}: type`];
  if (s.const !== undefined && v !== s.const) errs.push(`${path}: const`);
  if (s.enum && !s.enum.includes(v)) errs.push(`${path}: enum`);
  if (typeof v === "number") {
    if (s.minimum !== undefined && v < s.minimum) errs.push(`${path}: minimum`);
    if (s.maximum !== undefined && v > s.maximum) errs.push(`${path}: maximum`);
    if (s.exclusiveMinimum !== undefined && v <= s.exclusiveMinimum) errs.push(`${path}: exclusiveMinimum`);
  }
  if (typeof v === "string") {
    if (s.pattern && !new RegExp(s.pattern, "u").test(v)) errs.push(`${path}: pattern`);
    if (s.minLength !== undefined && [...v].length < s.minLength) errs.push(`${path}: minLength`);
    if (s.maxLength !== undefined && [...v].length > s.maxLength) errs.push(`${path}: maxLength`);
  }
  if (Array.isArray(v)) {
    if (s.minItems !== undefined && v.length < s.minItems) errs.push(`${path}: minItems`);
    v.forEach((item, i) => {
      if (s.items?.oneOf) {
        const matching = s.items.oneOf.filter((o: Schema) => schemaErrors(o, item, `${path}[${i}]`, root).length === 0);
        if (matching.length !== 1) errs.push(`${path}[${i}]: oneOf`);
      } else if (s.items) errs.push(...schemaErrors(s.items, item, `${path}[${i}]`, root));
    });
  }
  if (s.properties && typeof v === "object" && v !== null) {
    for (const r of s.required ?? []) if (!(r in v)) errs.push(`${path}.${r}: required`);
    for (const [k, item] of Object.entries(v)) {
      if (s.properties[k]) errs.push(...schemaErrors(s.properties[k], item, `${path}.${k}`, root));
      else if (s.additionalProperties === false) errs.push(`${path}.${k}: additional`);
    }
  }
  return errs;
}
