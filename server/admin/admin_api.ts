/**
 * The administrative API under `/galene-api/v0/` (Galène's, see the
 * README's Administration) as a Hono sub-app: the Origin check, routing,
 * the method, authorisation, then one handler per kind of route.
 *
 * @module
 */

import { type Context, Hono } from "hono";
import type { StatefulToken } from "../auth/stateful_token.ts";
import type { TokenStore } from "../auth/token_store.ts";
import { Tokens } from "../auth/token_verifier.ts";
import type { DescriptionStore } from "../config/description_store.ts";
import type { ServerConfig } from "../config/server_config.ts";
import { handleError, HttpError } from "../http/http_error.ts";
import { logText } from "../log_text.ts";
import {
  ADMIN_REALM,
  AdminAuth,
  type AdminScope,
  type AdminTokenVerifier,
} from "./admin_auth.ts";
import {
  type AdminContext,
  type AdminHandler,
  NotModified,
  readResponse,
} from "./admin_context.ts";
import { adminCorsHeaders, preflightHeaders } from "./admin_cors.ts";
import {
  type AdminRoute,
  parseAdminPath,
  ROUTE_METHODS,
} from "./admin_route.ts";
import { contentTag } from "./content_tag.ts";
import { groupHandler, groupList, keysHandler } from "./group_handlers.ts";
import { type GroupFile, GroupFiles } from "./group_files.ts";
import {
  buildStats,
  type ConnectionFigures,
  type StatsGroup,
} from "./server_stats.ts";
import { tokenHandler, tokenList } from "./token_handlers.ts";
import { passwordHandler, userHandler, userList } from "./user_handlers.ts";

/** What the administrative API needs. */
export interface AdminDeps {
  config: () => Promise<ServerConfig>;
  /** The group descriptions; the API writes the files under its directory. */
  store: DescriptionStore;
  tokenStore: TokenStore;
  /** Verifies bearer tokens; by default stateful tokens and group JWTs. */
  tokens?: AdminTokenVerifier;
  /** The groups in memory, for `.stats`. */
  groups: { all(): Iterable<StatsGroup> };
  /** The media plane, for `.stats`. */
  media: { stats(): Promise<readonly ConnectionFigures[]> };
  now?: () => number;
  log?: (message: string) => void;
}

type Handlers = {
  [K in AdminRoute["kind"]]: AdminHandler<Extract<AdminRoute, { kind: K }>>;
};

/**
 * Builds the API; mount it with `app.route("/", adminApi(deps))` before the
 * static files.
 *
 * @example
 * ```ts
 * const api = adminApi({ config, store, tokenStore, groups, media });
 * const res = await api.request("/galene-api/v0/.groups/", {
 *   headers: { Authorization: `Basic ${btoa("admin:secret")}` },
 * });
 * ```
 */
export function adminApi(deps: AdminDeps): Hono {
  const now = deps.now ?? (() => Date.now());
  const state: AdminState = {
    deps,
    now,
    log: deps.log ?? ((m: string) => console.log(m)),
    files: new GroupFiles({ store: deps.store }),
    auth: adminAuth(deps, now),
    handlers: adminHandlers(deps),
  };
  const api = new Hono();
  api.onError(handleError);
  api.all("/galene-api/*", (c: Context) => handle(state, c.req.raw));
  return api;
}

/** What every request of one {@link adminApi} shares. */
interface AdminState {
  deps: AdminDeps;
  now: () => number;
  log: (message: string) => void;
  files: GroupFiles;
  auth: AdminAuth;
  handlers: Handlers;
}

/** Who may do what: Basic credentials, stateful tokens and group JWTs. */
function adminAuth(deps: AdminDeps, now: () => number): AdminAuth {
  const tokens = deps.tokens ?? new Tokens({
    store: deps.tokenStore,
    config: deps.config,
    description: async (name) => {
      const found = await deps.store.get(name);
      return found.ok ? found.description : undefined;
    },
  });
  return new AdminAuth({
    config: deps.config,
    tokens,
    statefulToken: (name): Promise<StatefulToken | undefined> =>
      deps.tokenStore.get(name),
    now,
  });
}

/** One handler per kind of route. */
function adminHandlers(deps: AdminDeps): Handlers {
  return {
    stats: async (context) => {
      const report = buildStats(deps.groups.all(), await deps.media.stats());
      const etag = await contentTag(report);
      return readResponse(context, { etag, body: () => report, what: "" });
    },
    groups: groupList,
    group: groupHandler,
    keys: keysHandler,
    users: (context) => Promise.resolve(userList(context)),
    user: userHandler,
    password: passwordHandler,
    tokens: tokenList,
    token: tokenHandler,
  };
}

/**
 * Checks the Origin, answers, and adds the CORS headers.
 *
 * @throws {HttpError} 403 for an Origin that is not allowed
 */
async function handle(state: AdminState, request: Request): Promise<Response> {
  const config = await state.deps.config();
  const cors = adminCorsHeaders(request.headers.get("origin"), {
    host: request.headers.get("host") ?? new URL(request.url).host,
    config,
  });
  if (cors === null) {
    state.log(
      `admin: refused Origin ${logText(request.headers.get("origin"))}`,
    );
    throw new HttpError(403, "Origin not allowed");
  }
  const response = await answer(state, { request, config });
  for (const [name, value] of Object.entries(cors)) {
    response.headers.set(name, value);
  }
  return response;
}

/**
 * Routes, authorises and runs the route's handler.
 *
 * @throws {HttpError} 400/404 for a bad path, 405 for a method the route
 * does not take, 401 without the credentials it needs
 */
async function answer(
  state: AdminState,
  options: { request: Request; config: ServerConfig },
): Promise<Response> {
  const { request, config } = options;
  const route = routeOf(request);
  const preflight = checkMethod(request.method, route);
  if (preflight) return preflight;
  const file = "group" in route && route.group !== ""
    ? await state.files.read(route.group)
    : undefined;
  const scope = scopeOf(route, file);
  const principal = await state.auth.authorize(
    request.headers.get("authorization"),
    scope,
  );
  if (principal === null) throw notAuthorised(scope);
  const context: AdminContext = {
    request,
    method: request.method,
    route,
    principal,
    files: state.files,
    tokenStore: state.deps.tokenStore,
    config,
    now: state.now(),
    log: state.log,
    ...(file ? { file } : {}),
  };
  try {
    const handler = state.handlers[route.kind] as AdminHandler;
    return await handler(context);
  } catch (error) {
    if (error instanceof NotModified) return error.toResponse();
    throw error;
  }
}

/**
 * The answer to a preflight (`OPTIONS`), or null for a method the route
 * takes.
 *
 * @throws {HttpError} 405 for any other method
 */
function checkMethod(method: string, route: AdminRoute): Response | null {
  const methods = ROUTE_METHODS[route.kind];
  if (method === "OPTIONS") {
    return new Response(null, {
      status: 204,
      headers: preflightHeaders(methods),
    });
  }
  if (!methods.includes(method)) {
    throw new HttpError(405, `Method ${method} not allowed here`, {
      headers: { Allow: ["OPTIONS", ...methods].join(", ") },
    });
  }
  return null;
}

/** The 401 for a request without the credentials `scope` needs. */
function notAuthorised(scope: AdminScope): HttpError {
  // Server-wide data is for server administrators only; a group's operator
  // who tries (the demo's `admin`) learns what is needed.
  const message = scope.kind === "server"
    ? 'Not authorised: this needs a server administrator, a user with "permissions": "admin" in the "users" of the server\'s config.json'
    : "Not authorised";
  return new HttpError(401, message, {
    headers: { "WWW-Authenticate": `basic realm="${ADMIN_REALM}"` },
  });
}

/**
 * Parses the request's path.
 *
 * @throws {HttpError} 400 on bad percent-encoding or an invalid name, 404
 * on an unknown path.
 */
function routeOf(request: Request): AdminRoute {
  let path: string;
  try {
    path = decodeURIComponent(new URL(request.url).pathname);
  } catch {
    throw new HttpError(400, "Malformed percent-encoding in the path");
  }
  const parsed = parseAdminPath(path);
  if (!parsed.ok) {
    throw new HttpError(
      parsed.reason === "invalid" ? 400 : 404,
      parsed.message,
    );
  }
  return parsed.route;
}

/** Which credentials a route accepts. */
function scopeOf(route: AdminRoute, file: GroupFile | undefined): AdminScope {
  if (!("group" in route) || route.group === "") return { kind: "server" };
  const description = file?.state === "ok" ? file.description : undefined;
  const scope = { group: route.group, ...(description ? { description } : {}) };
  if (route.kind === "password" && route.user.kind !== "wildcard") {
    const username = route.user.kind === "empty" ? "" : route.user.name;
    return { kind: "self", username, ...scope };
  }
  return { kind: "group", ...scope };
}
