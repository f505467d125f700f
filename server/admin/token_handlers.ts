/**
 * `.groups/NAME/.tokens/` and `.groups/NAME/.tokens/TOKEN` (global tokens
 * under `.groups/.tokens/`): stateful tokens in `tokens.jsonl`. These only
 * touch the token file, so they do not need `writableGroups`.
 *
 * @module
 */

import { newTokenName } from "../auth/token_actions.ts";
import {
  parseStatefulToken,
  serializeToken,
  type StatefulToken,
} from "../auth/stateful_token.ts";
import { TokenStoreError } from "../auth/token_store.ts";
import { isJsonObject, type JsonObject } from "../config/json_fields.ts";
import { HttpError } from "../http/http_error.ts";
import type { AdminRoute } from "./admin_route.ts";
import {
  type AdminContext,
  checkPreconditions,
  existingGroup,
  isConditional,
  readResponse,
  writeResponse,
} from "./admin_context.ts";
import { parseOrBadRequest } from "./group_handlers.ts";
import { readJsonBody } from "./request_body.ts";

type Route<K extends AdminRoute["kind"]> = Extract<AdminRoute, { kind: K }>;

/** GET/HEAD: the group's token names; POST: a token with a fresh name. */
export async function tokenList(
  context: AdminContext<Route<"tokens">>,
): Promise<Response> {
  const { group } = context.route;
  if (group !== "") existingGroup(context.file, group);
  const store = context.tokenStore;
  if (context.method !== "POST") {
    const [etag, tokens] = await Promise.all([
      store.etag(),
      store.list(group),
    ]);
    return readResponse(context, {
      etag: etag === "" ? '""' : etag,
      what: "Token list",
      body: () => tokens.map((t) => t.token).sort(),
    });
  }
  const template = await readTemplate(context);
  const token = fromTemplate(template, {
    name: newTokenName(),
    context,
  });
  const etag = await store.etag();
  checkPreconditions(context, etag);
  await storeCall(() =>
    store.add(token, isConditional(context.request) ? { ifMatch: etag } : {})
  );
  context.log(
    `admin: ${context.principal.username || "token"} created a token for ${
      group === "" ? "every group" : `group ${JSON.stringify(group)}`
    }`,
  );
  // A bare name, as Galène answers: relative to the list's URL.
  return writeResponse({ created: true, location: token.token });
}

/** GET/HEAD/PUT/DELETE of one token. */
export async function tokenHandler(
  context: AdminContext<Route<"token">>,
): Promise<Response> {
  const { group, token: name } = context.route;
  if (group !== "" && context.method === "PUT") {
    existingGroup(context.file, group);
  }
  const store = context.tokenStore;
  const [fileTag, stored] = await Promise.all([store.etag(), store.get(name)]);
  const other = stored !== undefined && stored.group !== group;
  const current = other ? undefined : stored;
  const etag = current ? fileTag : "";
  const what = `Token in ${
    group === "" ? "the root group" : `group ${JSON.stringify(group)}`
  }`;
  if (context.method === "GET" || context.method === "HEAD") {
    return readResponse(context, {
      etag,
      what,
      body: () => withoutIdentity(serializeToken(current!)),
    });
  }
  checkPreconditions(context, etag);
  // Make the check and the write one step: the store refuses if the file
  // changed since the tag was read.
  const options = isConditional(context.request) ? { ifMatch: fileTag } : {};
  if (context.method === "DELETE") {
    if (!current) throw new HttpError(404, `${what} not found`);
    await storeCall(() => store.delete(name, options));
    return writeResponse({ created: false });
  }
  if (other) {
    throw new HttpError(409, "A token with this name exists in another group");
  }
  const template = await readTemplate(context);
  const token = fromTemplate(template, { name, context });
  if (current) {
    await storeCall(() => store.update(name, () => token, options));
    return writeResponse({ created: false });
  }
  await storeCall(() => store.add(token, options));
  return writeResponse({ created: true });
}

async function readTemplate(context: AdminContext): Promise<JsonObject> {
  const body = await readJsonBody(context.request);
  if (!isJsonObject(body)) {
    throw new HttpError(400, "A token must be a JSON object");
  }
  for (const key of ["token", "group"]) {
    if (Object.hasOwn(body, key)) {
      throw new HttpError(
        400,
        `A token sent here cannot contain ${
          JSON.stringify(key)
        }: the URL names it`,
      );
    }
  }
  return body;
}

/** A token from the body, named by the URL; issue fields filled in. */
function fromTemplate(
  template: JsonObject,
  options: { name: string; context: AdminContext<Route<"tokens" | "token">> },
): StatefulToken {
  const { name, context } = options;
  const token = parseOrBadRequest(() =>
    parseStatefulToken(
      { ...template, token: name, group: context.route.group },
      "request body",
    )
  );
  token.issuedAt ??= context.now;
  const issuer = context.principal.username;
  if (token.issuedBy === undefined && issuer !== "") token.issuedBy = issuer;
  return token;
}

function withoutIdentity(json: Record<string, unknown>): JsonObject {
  const { token: _name, group: _group, ...rest } = json;
  return rest;
}

/** Maps the store's refusals to HTTP. */
async function storeCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof TokenStoreError) {
      const status = { exists: 409, "not-found": 404, precondition: 412 }[
        error.reason
      ];
      throw new HttpError(status, error.message);
    }
    if (error instanceof TypeError) throw new HttpError(400, error.message);
    throw error;
  }
}
