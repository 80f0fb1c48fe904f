// A tool's command line: its options parsed by node:util, --help answered, a bad option shown with the usage.
import { parseArgs, type ParseArgsConfig } from "node:util";

type Config = { options: NonNullable<ParseArgsConfig["options"]> };
type Values<C extends Config> = ReturnType<typeof parseArgs<C>>["values"];

/**
 * The options' values, or the exit code when the tool should stop now: 0 after printing the usage for
 * --help, 2 after an unknown option, or when `need` names what is missing (it returns a message or "").
 */
export function toolOptions<const C extends Config>(argv: string[], config: C, usage: string, need?: (v: Values<C>) => string): Values<C> | number {
  let values: Values<C>;
  try {
    values = parseArgs<C>({ ...config, args: argv }).values;
  } catch (e) {
    console.error(`${(e as Error).message}\n${usage}`);
    return 2;
  }
  if ((values as { help?: boolean }).help) {
    console.log(usage);
    return 0;
  }
  const missing = need ? need(values) : "";
  if (missing) {
    console.error(`${missing}\n${usage}`);
    return 2;
  }
  return values;
}
