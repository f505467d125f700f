/**
 * `nereidctl`: galenectl's subcommands, talking to a Nereid (or Galène)
 * server's administrative API.
 *
 * TLS: Deno cannot skip certificate verification for one client, so
 * `-insecure` cannot do what galenectl's does. `-ca FILE` trusts a given
 * certificate instead (for Nereid's self-signed one, `data/cert.pem`);
 * the alternatives are the `DENO_CERT` variable or deno's
 * `--unsafely-ignore-certificate-errors=HOST`. `-insecure` is accepted
 * and makes a TLS failure explain these.
 *
 * @module
 */

import { ApiClient, CtlError } from "./api_client.ts";
import { type Command, commandHelp, type CtlIo } from "./ctl_command.ts";
import { defaultCtlConfigFile, loadCtlConfig } from "./ctl_config.ts";
import { flagsHelp, parseCtlFlags, UsageError } from "./ctl_flags.ts";
import { GROUP_COMMANDS } from "./group_commands.ts";
import { PASSWORD_COMMANDS } from "./password_commands.ts";
import { TOKEN_COMMANDS } from "./token_commands.ts";
import { USER_COMMANDS } from "./user_commands.ts";

/** Every subcommand, in the order `--help` lists them. */
export const COMMANDS: Readonly<Record<string, Command>> = Object.freeze({
  ...PASSWORD_COMMANDS,
  ...GROUP_COMMANDS,
  ...USER_COMMANDS,
  ...TOKEN_COMMANDS,
});

const GLOBAL_FLAGS = {
  server: {
    type: "string",
    default: "",
    help:
      "server URL (default from the config file, else https://localhost:8443)",
    value: "url",
  },
  insecure: {
    type: "bool",
    default: false,
    help:
      "for self-signed servers: see -ca (Deno cannot skip TLS verification per request)",
  },
  ca: {
    type: "string",
    default: "",
    help: "PEM file of a certificate to trust, e.g. the server's data/cert.pem",
    value: "file",
  },
  config: {
    type: "string",
    default: "",
    help: "nereidctl.json (default <config dir>/nereid/nereidctl.json)",
    value: "file",
  },
  "admin-username": {
    type: "string",
    default: "",
    help: "administrator's username",
    value: "name",
  },
  "admin-password": {
    type: "string",
    default: "",
    help: "administrator's password",
    value: "password",
  },
  "admin-token": {
    type: "string",
    default: "",
    help: "administrator's token (preferred over the password)",
    value: "token",
  },
} as const;

const DEFAULT_SERVER = "https://localhost:8443";

/** Options of {@link ctlMain}: the outside world, for tests. */
export type CtlMainOptions = Partial<CtlIo>;

/**
 * Runs nereidctl with `args` (without the program name); returns the exit
 * status: 0 success, 1 failure, 2 usage error.
 *
 * @example
 * ```ts
 * Deno.exit(await ctlMain(["-server", "https://localhost:8443", "list-groups"]));
 * ```
 */
export async function ctlMain(
  args: string[],
  options: CtlMainOptions = {},
): Promise<number> {
  const io = withDefaults(options);
  let client: ApiClient | undefined;
  try {
    const global = parseCtlFlags(args, GLOBAL_FLAGS);
    const [name, ...rest] = global.rest;
    if (global.help || name === undefined || name === "help") {
      const topic = name === "help" ? rest[0] : undefined;
      if (topic !== undefined && Object.hasOwn(COMMANDS, topic)) {
        io.stdout(`${commandHelp(topic, COMMANDS[topic]!)}\n`);
        return 0;
      }
      (name === undefined && !global.help ? io.stderr : io.stdout)(
        `${usage()}\n`,
      );
      return name === undefined && !global.help ? 2 : 0;
    }
    if (!Object.hasOwn(COMMANDS, name)) {
      throw new UsageError(`Unknown command ${JSON.stringify(name)}`);
    }
    const command = COMMANDS[name]!;
    const flags = parseCtlFlags(rest, command.flags);
    if (flags.help) {
      io.stdout(`${commandHelp(name, command)}\n`);
      return 0;
    }
    if (flags.rest.length > 0 && !command.operands) {
      throw new UsageError(
        `Unexpected argument ${JSON.stringify(flags.rest[0])}`,
      );
    }
    const configFile = global.values.config ||
      defaultCtlConfigFile(io.env, io.os);
    const file = await loadCtlConfig(configFile, {
      required: global.given.has("config") && name !== "initial-setup",
    }).catch((error: Error) => {
      throw new CtlError(error.message);
    });
    const pick = (key: keyof typeof GLOBAL_FLAGS & keyof typeof file) =>
      global.given.has(key) ? global.values[key] : file[key];
    const settings = {
      configFile,
      server: pick("server") || DEFAULT_SERVER,
      ...definedEntries({
        "admin-username": pick("admin-username"),
        "admin-password": pick("admin-password"),
        "admin-token": pick("admin-token"),
      }),
    };
    const caCerts = global.values.ca
      ? [
        await Deno.readTextFile(global.values.ca).catch((error: Error) => {
          throw new CtlError(
            `Cannot read -ca ${global.values.ca}: ${error.message}`,
          );
        }),
      ]
      : [];
    await command.run({
      io,
      settings,
      client: () =>
        client ??= new ApiClient({
          server: settings.server,
          insecure: global.values.insecure,
          caCerts,
          ...definedEntries({
            username: settings["admin-username"],
            password: settings["admin-password"],
            token: settings["admin-token"],
          }),
        }),
    }, flags);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(
        `nereidctl: ${error.message}\nRun "nereidctl --help" for usage.\n`,
      );
      return 2;
    }
    if (error instanceof CtlError) {
      io.stderr(`nereidctl: ${error.message}\n`);
      return 1;
    }
    const detail = error instanceof Error ? error.message : String(error);
    io.stderr(`nereidctl: ${detail}\n`);
    return 1;
  } finally {
    client?.close();
  }
}

/** The top-level help. */
export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const commands = Object.entries(COMMANDS).map(([name, command]) =>
    `  ${name.padEnd(width)}  ${
      command.summary.split(". ")[0]!.replace(/\.$/, "")
    }`
  );
  return [
    "Usage: nereidctl [global flags] command [flags]",
    "",
    "Commands:",
    ...commands,
    "",
    "Global flags:",
    flagsHelp(GLOBAL_FLAGS),
    "",
    'Run "nereidctl command --help" for a command\'s flags.',
  ].join("\n");
}

function definedEntries<T extends Record<string, string | undefined>>(
  entries: T,
): { [K in keyof T]?: string } {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(entries)) {
    if (value !== undefined && value !== "") out[key] = value;
  }
  return out as { [K in keyof T]?: string };
}

function withDefaults(options: CtlMainOptions): CtlIo {
  return {
    stdout: options.stdout ?? ((text) => writeAll(Deno.stdout, text)),
    stderr: options.stderr ?? ((text) => writeAll(Deno.stderr, text)),
    readStdin: options.readStdin ??
      (() => new Response(Deno.stdin.readable).text()),
    env: options.env ?? ((name) => Deno.env.get(name)),
    now: options.now ?? (() => Date.now()),
    os: options.os ?? Deno.build.os,
  };
}

/** Writes all of `text`: a pipe may take less than asked at once. */
function writeAll(
  stream: { writeSync(bytes: Uint8Array): number },
  text: string,
): void {
  const bytes = new TextEncoder().encode(text);
  for (let done = 0; done < bytes.length;) {
    done += stream.writeSync(bytes.subarray(done));
  }
}

if (import.meta.main) {
  Deno.exit(await ctlMain(Deno.args));
}
