/**
 * Command-line flags as Go's `flag` package reads them (galenectl's
 * syntax): `-name value`, `-name=value`, `--name`, booleans without a
 * value, parsing stopping at the first argument that is not a flag.
 *
 * @module
 */

/** One flag's declaration. */
export type FlagSpec =
  | { type: "string"; default: string; help: string; value?: string }
  | { type: "bool"; default: boolean; help: string }
  | { type: "int"; default: number; help: string; value?: string };

/** Declared flags by name. */
export type FlagSpecs = Record<string, FlagSpec>;

/** The parsed value type of a flag declaration. */
type ValueOf<S extends FlagSpec> = S extends { type: "bool" } ? boolean
  : S extends { type: "int" } ? number
  : string;

/** The outcome of {@link parseCtlFlags}. */
export interface ParsedFlags<S extends FlagSpecs> {
  values: { [K in keyof S]: ValueOf<S[K]> };
  /** Names of the flags given on the command line. */
  given: ReadonlySet<string>;
  /** The arguments after the flags. */
  rest: string[];
  /** Whether `-h`, `-help` or `--help` was given. */
  help: boolean;
}

/** A command line that cannot be understood; exit status 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * Parses `args` against `specs`.
 *
 * @example
 * ```ts
 * const { values } = parseCtlFlags(["-group", "a", "-l"], {
 *   group: { type: "string", default: "", help: "group name" },
 *   l: { type: "bool", default: false, help: "long listing" },
 * });
 * ```
 * @throws {UsageError} On an unknown flag, a missing value or a bad number.
 */
export function parseCtlFlags<S extends FlagSpecs>(
  args: readonly string[],
  specs: S,
): ParsedFlags<S> {
  const values: Record<string, string | number | boolean> = {};
  for (const [name, spec] of Object.entries(specs)) values[name] = spec.default;
  const given = new Set<string>();
  let help = false;
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      i++;
      break;
    }
    if (!arg.startsWith("-") || arg === "-") break;
    const body = arg.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const name = eq < 0 ? body : body.slice(0, eq);
    const inline = eq < 0 ? undefined : body.slice(eq + 1);
    if ((name === "h" || name === "help") && !Object.hasOwn(specs, name)) {
      help = true;
      continue;
    }
    if (!Object.hasOwn(specs, name)) {
      throw new UsageError(`flag provided but not defined: -${name}`);
    }
    const spec = specs[name]!;
    given.add(name);
    if (spec.type === "bool") {
      if (inline === undefined) values[name] = true;
      else if (/^(1|t|true)$/i.test(inline)) values[name] = true;
      else if (/^(0|f|false)$/i.test(inline)) values[name] = false;
      else {throw new UsageError(
          `invalid boolean value "${inline}" for -${name}`,
        );}
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= args.length) {
        throw new UsageError(`flag needs an argument: -${name}`);
      }
      value = args[++i]!;
    }
    if (spec.type === "int") {
      const n = Number(value);
      if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(n)) {
        throw new UsageError(`invalid value "${value}" for flag -${name}`);
      }
      values[name] = n;
    } else {
      values[name] = value;
    }
  }
  return {
    values: values as ParsedFlags<S>["values"],
    given,
    rest: args.slice(i),
    help,
  };
}

/** Formats the flags' help, one per line, as Go's `flag` does. */
export function flagsHelp(specs: FlagSpecs): string {
  return Object.entries(specs).map(([name, spec]) => {
    const value = spec.type === "bool"
      ? ""
      : ` ${("value" in spec && spec.value) || spec.type}`;
    const fallback = spec.type === "bool"
      ? ""
      : spec.default === ""
      ? ""
      : ` (default ${JSON.stringify(spec.default)})`;
    return `  -${name}${value}\n    \t${spec.help}${fallback}`;
  }).join("\n");
}
