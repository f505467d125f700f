/**
 * `/group/NAME/` and its `.status`: the pages and status a client reads
 * before opening the WebSocket.
 *
 * @module
 */

import { Hono } from "hono";
import { isValidGroupName } from "../config/group_name.ts";
import type { ServerConfig } from "../config/server_config.ts";
import { Group } from "../group/group.ts";
import type { GroupRegistry } from "../group/group_registry.ts";
import { baseUrls } from "./base_url.ts";
import { HttpError } from "./http_error.ts";

/** What the group routes need. */
export interface GroupRoutesDeps {
  groups: GroupRegistry;
  config: () => Promise<ServerConfig>;
  secure: boolean;
  now: () => number;
  /** Serves the client's group page (`galene.html` of the static root). */
  groupPage: (authServer: string | undefined) => Promise<Response>;
}

/** Splits `/group/a/b/.status` into the group name and the special part. */
export function parseGroupPath(
  path: string,
): { name: string; special: string | null; slash: boolean } | null {
  const rest = path.slice("/group/".length);
  const dot = rest.search(/(^|\/)\./);
  let name: string;
  let special: string | null = null;
  if (dot >= 0) {
    name = rest.slice(0, dot);
    special = rest.slice(dot === 0 ? 0 : dot + 1);
  } else {
    name = rest.replace(/\/+$/, "");
  }
  if (!isValidGroupName(name)) return null;
  return { name, special, slash: special === null && rest === name + "/" };
}

/** The routes under `/group/`. */
export function groupRoutes(deps: GroupRoutesDeps): Hono {
  const app = new Hono();

  async function lookup(name: string): Promise<Group> {
    const g = await deps.groups.get(name, deps.now());
    if (g instanceof Group) return g;
    if (g.reason === "invalid") {
      throw new HttpError(503, `Group "${name}" is misconfigured`);
    }
    throw new HttpError(404, `Group "${name}" does not exist`);
  }

  app.all("/*", async (c, next) => {
    let path: string;
    try {
      path = decodeURIComponent(c.req.path);
    } catch {
      return next();
    }
    const parsed = parseGroupPath(path);
    if (parsed === null) return next();
    const { name, special } = parsed;
    if (special === ".status.json") {
      return c.redirect(`/group/${encodeURI(name)}/.status`, 308);
    }
    if (special !== null && special !== ".status") return next();
    if (c.req.method !== "GET" && c.req.method !== "HEAD") {
      throw new HttpError(405, "Method not allowed", {
        headers: { Allow: "GET, HEAD" },
      });
    }
    let group: Group;
    try {
      group = await lookup(name);
    } catch (e) {
      if (e instanceof HttpError && e.status === 404) return next();
      throw e;
    }
    if (special === ".status") {
      const config = await deps.config();
      const base = baseUrls(c.req.raw, {
        proxyURL: config.proxyURL,
        secure: deps.secure,
      });
      const status = group.status({ authenticated: false });
      const body = status.redirect ? status : {
        ...status,
        location: `${base.http}/group/${encodeURI(name)}/`,
        endpoint: `${base.ws}/ws`,
      };
      c.header("Cache-Control", "no-cache");
      return c.json(body);
    }
    if (group.description.redirect) {
      return c.redirect(group.description.redirect, 308);
    }
    if (!parsed.slash) {
      return c.redirect(`/group/${encodeURI(name)}/`, 308);
    }
    return deps.groupPage(group.description.authServer);
  });

  return app;
}
