/**
 * `.groups/`, `.groups/NAME` and `.groups/NAME/.keys`: group descriptions
 * without their secrets, and the group's JWT keys.
 *
 * @module
 */

import { parseAuthKey } from "../auth/jwt.ts";
import {
  type GroupDescription,
  parseGroupDescription,
  serializeGroupDescription,
} from "../config/group_description.ts";
import { isJsonObject, type JsonObject } from "../config/json_fields.ts";
import { HttpError } from "../http/http_error.ts";
import type { AdminRoute } from "./admin_route.ts";
import {
  type AdminContext,
  checkPreconditions,
  existingGroup,
  readResponse,
  requireWritable,
  writeResponse,
} from "./admin_context.ts";
import { contentTag } from "./content_tag.ts";
import { readJsonBody } from "./request_body.ts";

type Route<K extends AdminRoute["kind"]> = Extract<AdminRoute, { kind: K }>;

/**
 * Keys that hold credentials: never shown, never accepted in a group PUT
 * (they have their own endpoints). Galène names the first three; the
 * fallback users and the obsolete pattern lists hold passwords too.
 */
export const SECRET_GROUP_KEYS: readonly string[] = Object.freeze([
  "users",
  "wildcard-user",
  "authKeys",
  "fallback-users",
  "op",
  "presenter",
  "other",
]);

/** GET/HEAD `.groups/`: every group name, sorted. */
export async function groupList(context: AdminContext): Promise<Response> {
  const names = await context.files.list();
  const etag = await contentTag(names);
  return readResponse(context, { etag, body: () => names, what: "List" });
}

/** GET/HEAD/PUT/DELETE `.groups/NAME`. */
export function groupHandler(
  context: AdminContext<Route<"group">>,
): Promise<Response> {
  switch (context.method) {
    case "PUT":
      return putGroup(context);
    case "DELETE":
      return deleteGroup(context);
    default:
      return Promise.resolve(getGroup(context));
  }
}

function getGroup(context: AdminContext<Route<"group">>): Response {
  const file = context.file;
  if (file?.state === "invalid") existingGroup(file, context.route.group);
  return readResponse(context, {
    etag: file?.etag ?? "",
    body: () => sanitised(existingGroup(file, context.route.group).description),
    what: `Group ${JSON.stringify(context.route.group)}`,
  });
}

/** The group's JSON without credentials. */
export function sanitised(description: GroupDescription): JsonObject {
  const json = serializeGroupDescription(description);
  for (const key of SECRET_GROUP_KEYS) delete json[key];
  return json as JsonObject;
}

async function putGroup(
  context: AdminContext<Route<"group">>,
): Promise<Response> {
  requireWritable(context);
  const body = await readJsonBody(context.request);
  if (!isJsonObject(body)) {
    throw new HttpError(400, "A group description must be a JSON object");
  }
  const secret = SECRET_GROUP_KEYS.find((key) => Object.hasOwn(body, key));
  if (secret !== undefined) {
    throw new HttpError(
      400,
      `A group description sent here cannot contain ${
        JSON.stringify(secret)
      }; use the .users, .wildcard-user and .keys endpoints`,
    );
  }
  const given = parseOrBadRequest(() =>
    parseGroupDescription(body, { file: "request body" })
  );
  const { group } = context.route;
  const result = await context.files.change(group, (current) => {
    checkPreconditions(context, current.etag);
    if (current.state === "invalid") existingGroup(current, group);
    if (current.state !== "ok") return given;
    // Credentials are kept from the file: they are not part of this body.
    const old = current.description;
    const merged: GroupDescription = {
      ...given,
      users: old.users,
      fallbackUsers: old.fallbackUsers,
      authKeys: old.authKeys,
    };
    delete merged.wildcardUser;
    if (old.wildcardUser) merged.wildcardUser = old.wildcardUser;
    return merged;
  });
  context.log(
    `admin: ${context.principal.username || "token"} ${
      result.created ? "created" : "updated"
    } group ${JSON.stringify(group)}`,
  );
  return writeResponse(result);
}

async function deleteGroup(
  context: AdminContext<Route<"group">>,
): Promise<Response> {
  requireWritable(context);
  const { group } = context.route;
  await context.files.change(group, (current) => {
    checkPreconditions(context, current.etag);
    if (current.state === "missing") {
      throw new HttpError(404, `Group ${JSON.stringify(group)} not found`);
    }
    return null;
  });
  context.log(
    `admin: ${context.principal.username || "token"} deleted group ${
      JSON.stringify(group)
    }`,
  );
  return writeResponse({ created: false });
}

/** PUT/DELETE `.groups/NAME/.keys`: replace or remove the JWK set. */
export async function keysHandler(
  context: AdminContext<Route<"keys">>,
): Promise<Response> {
  requireWritable(context);
  let keys: JsonObject[] = [];
  if (context.method === "PUT") {
    const body = await readJsonBody(context.request, {
      types: ["application/jwk-set+json", "application/json"],
    });
    keys = parseKeySet(body);
  }
  const { group } = context.route;
  const result = await context.files.change(group, (current) => {
    checkPreconditions(context, current.etag);
    const { description } = existingGroup(current, group);
    return { ...description, authKeys: keys };
  });
  return writeResponse({ created: false, etag: result.etag });
}

/**
 * Validates a JWK set `{"keys": [...]}`; each key as the JWT verifier will
 * import it.
 *
 * @throws {HttpError} 400 naming the first bad key.
 */
export function parseKeySet(body: unknown): JsonObject[] {
  const keys = isJsonObject(body) ? body["keys"] : undefined;
  if (!Array.isArray(keys)) {
    throw new HttpError(400, 'A JWK set must be {"keys": [...]}');
  }
  return keys.map((key, i) => {
    parseOrBadRequest(() => parseAuthKey(key, `keys[${i}]`));
    return key as JsonObject;
  });
}

/**
 * Runs a parser, turning its `TypeError` into a 400.
 *
 * @throws {HttpError} 400.
 */
export function parseOrBadRequest<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof TypeError) throw new HttpError(400, error.message);
    throw error;
  }
}
