/**
 * The HTTP application: every route Nereid serves, assembled from small
 * sub-apps and middleware.
 *
 * @module
 */

import { type Context, Hono, type Next } from "hono";
import { join } from "node:path";
import { adminApi, type AdminDeps } from "../admin/admin_api.ts";
import type { ServerConfig } from "../config/server_config.ts";
import type { GroupRegistry } from "../group/group_registry.ts";
import type { ClientSession } from "../signalling/client_session.ts";
import type { SessionDeps } from "../signalling/session_deps.ts";
import { groupRoutes } from "./group_routes.ts";
import { handleError } from "./http_error.ts";
import { securityHeaders } from "./security_headers.ts";
import { recordingsRoutes } from "./recordings_routes.ts";
import type { RecordingStore } from "./recording_store.ts";
import { notFoundPage, serveStatic } from "./static_files.ts";
import { websocketRoute } from "./websocket_route.ts";
import { whipRoutes } from "../whip/whip_routes.ts";

/** What the application needs. */
export interface AppDeps {
  groups: GroupRegistry;
  config: () => Promise<ServerConfig>;
  staticRoot: string;
  recordingsDir: string;
  /** Where `/recordings/` finds files (default: `recordingsDir`). */
  recordingStore?: RecordingStore;
  /** True when served over TLS (for the `wss:` endpoint). */
  secure: boolean;
  sessionDeps: SessionDeps;
  sessions: Set<ClientSession>;
  /** The administrative API under `/galene-api/`. */
  admin: AdminDeps;
  now: () => number;
}

/** Builds the Hono application. */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.onError(handleError);
  app.use(securityHeaders());
  app.use(canonicalHost(deps.config));

  app.get(
    "/ws",
    websocketRoute({
      sessionDeps: deps.sessionDeps,
      sessions: deps.sessions,
    }),
  );

  app.get("/public-groups.json", async (c) => {
    const groups = await deps.groups.publicGroups(deps.now());
    c.header("Cache-Control", "no-cache");
    return c.json(groups.map((g) => ({
      ...g.status({ authenticated: false }),
      location: `/group/${encodeURI(g.name)}/`,
    })));
  });

  app.use(
    "/group/*",
    whipRoutes({ sessionDeps: deps.sessionDeps, sessions: deps.sessions }),
  );
  const pagePath = join(deps.staticRoot, "galene.html");
  app.route(
    "/group",
    groupRoutes({
      groups: deps.groups,
      config: deps.config,
      secure: deps.secure,
      now: deps.now,
      groupPage: async (authServer) => {
        const html = await Deno.readFile(pagePath);
        const res = new Response(html, {
          headers: {
            "Content-Type": "text/html; charset=utf-8",
            "Cache-Control": "no-cache",
          },
        });
        if (authServer) {
          res.headers.set(
            "Content-Security-Policy",
            groupPageCsp(authServer),
          );
        }
        return res;
      },
    }),
  );

  app.route("/", adminApi(deps.admin));
  app.route(
    "/recordings",
    recordingsRoutes({
      recordingsDir: deps.recordingsDir,
      ...(deps.recordingStore ? { store: deps.recordingStore } : {}),
      groups: deps.groups,
      config: deps.config,
      now: deps.now,
      log: deps.sessionDeps.log,
    }),
  );
  app.use("/*", serveStatic({ root: deps.staticRoot }));
  app.notFound(notFoundPage(deps.staticRoot));
  return app;
}

/** The group page may also talk to its `authServer`. */
function groupPageCsp(authServer: string): string {
  let origin = "";
  try {
    origin = new URL(authServer).origin;
  } catch {
    // An unparsable authServer adds nothing; the client will fail visibly.
  }
  return [
    `connect-src ${origin ? origin + " " : ""}ws: wss: 'self'`,
    "img-src 'self' data: blob:",
    "media-src blob: 'self'",
    "script-src 'unsafe-eval' 'self'",
    "style-src 'self' 'unsafe-inline'",
    "default-src 'self'",
  ].join("; ");
}

/** Redirects other Host names to `canonicalHost` for pages (not `/ws`). */
function canonicalHost(config: () => Promise<ServerConfig>) {
  return async function canonicalHost(c: Context, next: Next) {
    const canonical = (await config()).canonicalHost;
    const p = c.req.path;
    const applies = p === "/" || p.startsWith("/group/") ||
      p.startsWith("/recordings/");
    if (canonical && applies && c.req.header("host") !== canonical) {
      const url = new URL(c.req.url);
      return c.redirect(
        `https://${canonical}${url.pathname}${url.search}`,
        301,
      );
    }
    await next();
  };
}
