/**
 * `hash-password`, `set-password`, `delete-password` and `initial-setup`.
 *
 * @module
 */

import { dirname } from "node:path";
import * as jose from "jose";
import {
  type HashOptions,
  hashPassword,
  serializePassword,
} from "../config/password.ts";
import { CtlError } from "./api_client.ts";
import {
  type Command,
  defineCommand,
  GROUP_FLAG,
  passwordFrom,
  printJson,
  requireGroup,
  USER_FLAGS,
  userLabel,
  userPath,
} from "./ctl_command.ts";
import { UsageError } from "./ctl_flags.ts";

const HASH_FLAGS = {
  password: {
    type: "string",
    default: "",
    help: "the password (default: read a line from standard input)",
    value: "password",
  },
  type: {
    type: "string",
    default: "bcrypt",
    help: "bcrypt, pbkdf2 or wildcard",
    value: "type",
  },
  cost: { type: "int", default: 8, help: "bcrypt cost" },
  iterations: { type: "int", default: 4096, help: "pbkdf2 iterations" },
  key: { type: "int", default: 32, help: "pbkdf2 key length in bytes" },
  salt: { type: "int", default: 8, help: "pbkdf2 salt length in bytes" },
} as const;

type HashValues = {
  type: string;
  cost: number;
  iterations: number;
  key: number;
  salt: number;
};

function hashOptions(values: HashValues): HashOptions {
  switch (values.type) {
    case "bcrypt":
      return { type: "bcrypt", cost: values.cost };
    case "pbkdf2":
      return {
        type: "pbkdf2",
        iterations: values.iterations,
        keyLength: values.key,
        saltLength: values.salt,
      };
    case "wildcard":
      return { type: "wildcard" };
    default:
      throw new UsageError(
        `Unknown password type ${
          JSON.stringify(values.type)
        } (bcrypt, pbkdf2 or wildcard)`,
      );
  }
}

async function hashed(
  cleartext: string,
  values: HashValues,
): Promise<unknown> {
  try {
    return serializePassword(
      await hashPassword(cleartext, hashOptions(values)),
    );
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(error.message);
    throw error;
  }
}

const hashPasswordCommand = defineCommand({
  summary: "Prints a password entry for a group file; talks to no server.",
  flags: HASH_FLAGS,
  async run(context, flags) {
    const cleartext = flags.values.type === "wildcard"
      ? ""
      : await passwordFrom(context, flags);
    printJson(context, await hashed(cleartext, flags.values));
  },
});

const setPasswordCommand = defineCommand({
  summary: "Sets a user's password (hashed here, then sent).",
  flags: { ...GROUP_FLAG, ...USER_FLAGS, ...HASH_FLAGS },
  async run(context, flags) {
    const group = requireGroup(flags);
    const path = `${userPath(group, flags)}/.password`;
    const cleartext = flags.values.type === "wildcard"
      ? ""
      : await passwordFrom(context, flags);
    const password = await hashed(cleartext, flags.values);
    await context.client().call("PUT", path, {
      body: JSON.stringify(password),
    });
    context.io.stderr(`Password of ${userLabel(flags)} set\n`);
  },
});

const deletePasswordCommand = defineCommand({
  summary:
    "Removes a user's password (the user can no longer log in with one).",
  flags: { ...GROUP_FLAG, ...USER_FLAGS },
  async run(context, flags) {
    const group = requireGroup(flags);
    await context.client().call(
      "DELETE",
      `${userPath(group, flags)}/.password`,
    );
  },
});

const initialSetupCommand = defineCommand({
  summary:
    "Writes the server's config.json (writableGroups, one administrator with a bcrypt " +
    "cost-12 password) and nereidctl.json with the administrator's credentials. " +
    "Needs the global -admin-username; the password is -admin-password or generated.",
  flags: {
    config: {
      type: "string",
      default: "data/config.json",
      help: "the server's config.json to create",
      value: "file",
    },
  },
  async run(context, flags) {
    const username = context.settings["admin-username"];
    if (!username) {
      throw new UsageError(
        "initial-setup needs the global flag -admin-username",
      );
    }
    const password = context.settings["admin-password"] ||
      jose.base64url.encode(crypto.getRandomValues(new Uint8Array(15)));
    const hash = serializePassword(
      await hashPassword(password, { type: "bcrypt", cost: 12 }),
    );
    const serverConfig = {
      users: { [username]: { password: hash, permissions: "admin" } },
      writableGroups: true,
    };
    const ctlConfig = {
      server: context.settings.server ?? "https://localhost:8443",
      "admin-username": username,
      "admin-password": password,
    };
    await createFile(flags.values.config, serverConfig, { mode: 0o600 });
    await createFile(context.settings.configFile, ctlConfig, { mode: 0o600 });
    context.io.stderr(
      `Wrote ${flags.values.config} and ${context.settings.configFile}\n`,
    );
  },
});

/** Writes a new file; never replaces one. */
async function createFile(
  file: string,
  json: unknown,
  options: { mode: number },
): Promise<void> {
  await Deno.mkdir(dirname(file), { recursive: true, mode: 0o700 });
  try {
    await Deno.writeTextFile(file, `${JSON.stringify(json, null, 2)}\n`, {
      createNew: true,
      mode: options.mode,
    });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) {
      throw new CtlError(`${file} exists; not overwriting it`);
    }
    throw error;
  }
}

/** The password subcommands by name. */
export const PASSWORD_COMMANDS: Record<string, Command> = {
  "hash-password": hashPasswordCommand,
  "initial-setup": initialSetupCommand,
  "set-password": setPasswordCommand,
  "delete-password": deletePasswordCommand,
};
