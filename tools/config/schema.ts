// Generates board.schema.json (JSON Schema draft-07, for editors) from spec.ts; `tsx tools/config/schema.ts` writes it.
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { REPO_ROOT } from "./load.ts";
import { BOARD_SPEC, type Field } from "./spec.ts";

export const SCHEMA_FILE = join(REPO_ROOT, "board.schema.json");

type Schema = Record<string, unknown>;

function describe(f: Field): string {
  return f.defaultNote ? `${f.description} Default: ${f.defaultNote}.` : f.description;
}

function common(f: Field, s: Schema): Schema {
  const out: Schema = { description: describe(f), ...s };
  if (f.default !== undefined) out.default = f.default;
  if (f.examples) out.examples = f.examples;
  return out;
}

const ADDRESS: Schema = { type: "string", pattern: "@" };
const ADDRESS_ITEM: Schema = {
  ...ADDRESS,
  description: 'An email address (ASCII): "alarm@example.com" or "Name <alarm@example.com>".',
};

export function fieldSchema(f: Field): Schema {
  switch (f.type) {
    case "string": {
      const s: Schema = { type: "string" };
      if (f.minLength !== undefined) s.minLength = f.minLength;
      if (f.maxLength !== undefined) s.maxLength = f.maxLength;
      if (!f.multiline && f !== BOARD_SPEC.props.$schema) s.pattern = "^[^\\r\\n\\u0000]*$";
      return common(f, s);
    }
    case "integer":
    case "number": {
      const s: Schema = { type: f.nullable ? [f.type, "null"] : f.type };
      if (f.minimum !== undefined) s.minimum = f.minimum;
      if (f.exclusiveMinimum !== undefined) s.exclusiveMinimum = f.exclusiveMinimum;
      if (f.maximum !== undefined) s.maximum = f.maximum;
      return common(f, s);
    }
    case "boolean":
      return common(f, { type: "boolean" });
    case "enum":
      return f.values.length === 1 ? common(f, { const: f.values[0] }) : common(f, { type: "string", enum: f.values });
    case "address":
      return common(f, { ...ADDRESS });
    case "addresses": {
      const s: Schema = { type: "array", items: ADDRESS_ITEM };
      if (f.minItems) s.minItems = f.minItems;
      return common(f, s);
    }
    case "object": {
      const properties: Schema = {};
      for (const [k, p] of Object.entries(f.props)) properties[k] = fieldSchema(p);
      const required = Object.entries(f.props)
        .filter(([, p]) => p.required)
        .map(([k]) => k);
      const s: Schema = { type: "object", properties };
      if (required.length) s.required = required;
      s.additionalProperties = false;
      return common(f, s);
    }
    case "alerts":
      return common(f, {
        type: "array",
        items: { oneOf: Object.values(f.kinds).map(fieldSchema) },
      });
  }
}

export function boardSchema(): Schema {
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "alertmail board.json",
    ...fieldSchema(BOARD_SPEC),
  };
}

export function schemaText(): string {
  return JSON.stringify(boardSchema(), null, 2) + "\n";
}

export function committedSchemaText(): string {
  return readFileSync(SCHEMA_FILE, "utf8");
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(SCHEMA_FILE, schemaText());
  console.log(`wrote ${SCHEMA_FILE}`);
}
