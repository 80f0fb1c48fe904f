// Secrets and overlays: deep-merges board.local.json over board.json and resolves "${NAME}" from the environment.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Objects merge key by key; arrays and scalars in `over` replace those in `base`. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isObject(base) || !isObject(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    out[key] = key in base ? deepMerge(base[key], value) : value;
  }
  return out;
}

export interface Resolution {
  value: unknown;
  errors: string[];
  /** Paths whose value is still unresolved (validation skips them: the error is already given). */
  unresolved: Set<string>;
  /** Paths whose whole value was one placeholder: a number or boolean may arrive as text. */
  fromEnv: Set<string>;
}

const PLACEHOLDER = /\$\$|\$\{([^}]*)\}/g;
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Replaces ${NAME} in every string value (recursively); "$$" writes a literal "$". */
export function resolveSecrets(root: unknown, env: NodeJS.ProcessEnv): Resolution {
  const errors: string[] = [];
  const unresolved = new Set<string>();
  const fromEnv = new Set<string>();

  const walk = (v: unknown, path: string): unknown => {
    if (Array.isArray(v)) return v.map((item, i) => walk(item, `${path}[${i}]`));
    if (isObject(v)) {
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) out[k] = walk(item, path ? `${path}.${k}` : k);
      return out;
    }
    if (typeof v !== "string" || !v.includes("$")) return v;
    if (/^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(v)) fromEnv.add(path);
    return v.replace(PLACEHOLDER, (whole: string, name: string | undefined) => {
      if (name === undefined) return "$";
      if (!VAR_NAME.test(name)) {
        errors.push(
          `${path}: found "\${${name}}"; expected \${NAME} with a variable name of letters, digits and _ (write $\${ for a literal "\${")`,
        );
        unresolved.add(path);
        return whole;
      }
      const value = env[name];
      if (value === undefined) {
        errors.push(
          `${path}: environment variable ${name} is not set (the value is "\${${name}}"); set ${name} in the environment, or put the value in board.local.json`,
        );
        unresolved.add(path);
        return whole;
      }
      return value;
    });
  };
  return { value: walk(root, ""), errors, unresolved, fromEnv };
}

export type { Json };
