/**
 * `.users/`, `.users/USER`, `.wildcard-user`, `.empty-user` and their
 * `.password`: a group's users, whose passwords are never shown.
 *
 * @module
 */

import type { GroupDescription } from "../config/group_description.ts";
import { isJsonObject } from "../config/json_fields.ts";
import { hashPassword, parsePassword } from "../config/password.ts";
import {
  parseUserDescription,
  serializeUserDescription,
  type UserDescription,
} from "../config/user_description.ts";
import { HttpError } from "../http/http_error.ts";
import type { AdminRoute, UserRef } from "./admin_route.ts";
import {
  type AdminContext,
  checkPreconditions,
  existingGroup,
  readResponse,
  requireWritable,
  writeResponse,
} from "./admin_context.ts";
import type { GroupFile } from "./group_files.ts";
import { parseOrBadRequest } from "./group_handlers.ts";
import { readBody, readJsonBody } from "./request_body.ts";

type Route<K extends AdminRoute["kind"]> = Extract<AdminRoute, { kind: K }>;

/** The cost of a bcrypt hash made from a cleartext POST, as Galène's. */
export const API_BCRYPT_COST = 8;

/**
 * GET/HEAD `.users/`: the usernames, sorted. The empty username is left
 * out: it is reached through `.empty-user`, and `.users/` + `""` would name
 * this list.
 */
export function userList(context: AdminContext<Route<"users">>): Response {
  const { description, etag } = existingGroup(
    context.file,
    context.route.group,
  );
  return readResponse(context, {
    etag,
    what: "Group",
    body: () => Object.keys(description.users).filter((n) => n !== "").sort(),
  });
}

/** GET/HEAD/PUT/DELETE of one user. */
export async function userHandler(
  context: AdminContext<Route<"user">>,
): Promise<Response> {
  const { group, user } = context.route;
  if (context.method === "GET" || context.method === "HEAD") {
    const { description } = existingGroup(context.file, group);
    const found = userOf(description, user);
    return readResponse(context, {
      etag: found ? context.file!.etag : "",
      what: `User ${describe(user)}`,
      body: () => {
        const { password: _secret, ...rest } = serializeUserDescription(found!);
        return rest;
      },
    });
  }
  requireWritable(context);
  if (context.method === "DELETE") {
    await changeUser(context, (current) => {
      if (!current) {
        throw new HttpError(404, `User ${describe(user)} not found`);
      }
      return undefined;
    });
    return writeResponse({ created: false });
  }
  const body = await readJsonBody(context.request);
  if (!isJsonObject(body)) {
    throw new HttpError(400, "A user must be a JSON object");
  }
  if (Object.hasOwn(body, "password")) {
    throw new HttpError(
      400,
      'A user sent here cannot contain "password"; use its .password endpoint',
    );
  }
  const given = parseOrBadRequest(() =>
    parseUserDescription(body, "request body")
  );
  let created = false;
  const result = await changeUser(context, (current) => {
    created = current === undefined;
    // The password is kept: it has its own endpoint.
    return { ...given, password: current?.password ?? { type: "none" } };
  });
  return writeResponse({ created, etag: result.etag });
}

/** PUT (password object), POST (cleartext) or DELETE a user's password. */
export async function passwordHandler(
  context: AdminContext<Route<"password">>,
): Promise<Response> {
  requireWritable(context);
  const { user } = context.route;
  if (user.kind === "wildcard" && context.principal.via === "self") {
    throw new HttpError(401, "Only an administrator may set this password");
  }
  let password: UserDescription["password"] = { type: "none" };
  if (context.method === "PUT") {
    const body = await readJsonBody(context.request);
    password = parseOrBadRequest(() => parsePassword(body, "request body"));
  } else if (context.method === "POST") {
    const cleartext = await readBody(context.request, {
      types: ["text/plain"],
    });
    password = await hashPassword(cleartext, {
      type: "bcrypt",
      cost: API_BCRYPT_COST,
    });
  }
  const result = await changeUser(context, (current) => {
    if (!current) throw new HttpError(404, `User ${describe(user)} not found`);
    return { ...current, password };
  });
  context.log(
    `admin: ${context.principal.username || "token"} changed the password of ${
      describe(user)
    } in group ${JSON.stringify(context.route.group)}`,
  );
  return writeResponse({ created: false, etag: result.etag });
}

/**
 * Replaces one user under the file's lock: `edit` gets the current user
 * (after the preconditions on the user's tag held) and returns the new one,
 * or `undefined` to remove it.
 */
function changeUser(
  context: AdminContext<Route<"user"> | Route<"password">>,
  edit: (current: UserDescription | undefined) => UserDescription | undefined,
) {
  const { group, user } = context.route;
  return context.files.change(group, (file: GroupFile) => {
    const { description } = existingGroup(file, group);
    const current = userOf(description, user);
    checkPreconditions(context, current ? file.etag : "");
    return withUser(description, user, edit(current));
  });
}

/** The user a route names, if the group has it. */
export function userOf(
  description: GroupDescription,
  ref: UserRef,
): UserDescription | undefined {
  switch (ref.kind) {
    case "wildcard":
      return description.wildcardUser;
    case "empty":
      return Object.hasOwn(description.users, "")
        ? description.users[""]
        : undefined;
    case "named":
      return Object.hasOwn(description.users, ref.name)
        ? description.users[ref.name]
        : undefined;
  }
}

/** A copy of `description` with the user set, or removed when `undefined`. */
export function withUser(
  description: GroupDescription,
  ref: UserRef,
  user: UserDescription | undefined,
): GroupDescription {
  const next: GroupDescription = { ...description };
  if (ref.kind === "wildcard") {
    delete next.wildcardUser;
    if (user) next.wildcardUser = user;
    return next;
  }
  const name = ref.kind === "empty" ? "" : ref.name;
  const users: Record<string, UserDescription> = Object.assign(
    Object.create(null),
    description.users,
  );
  if (user) users[name] = user;
  else delete users[name];
  next.users = users;
  return next;
}

function describe(ref: UserRef): string {
  switch (ref.kind) {
    case "wildcard":
      return "the wildcard user";
    case "empty":
      return "the empty user";
    case "named":
      return JSON.stringify(ref.name);
  }
}
