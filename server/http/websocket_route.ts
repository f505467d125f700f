/**
 * `/ws`: the Origin check, then one {@link ClientSession} per socket. When
 * the session closes the socket, the connection's close timeout starts.
 *
 * @module
 */

import type { Context, MiddlewareHandler } from "hono";
import { getConnInfo, upgradeWebSocket } from "hono/deno";
import type { ServerConfig } from "../config/server_config.ts";
import { logText } from "../log_text.ts";
import { ClientSession } from "../signalling/client_session.ts";
import type { SessionDeps } from "../signalling/session_deps.ts";
import { HttpError } from "./http_error.ts";
import { connectionOf } from "./relay_listener.ts";

/**
 * Whether a WebSocket may be opened from `origin`: no Origin (not a
 * browser), the same host, an origin listed in `allowOrigin`, or any origin
 * on a `publicServer`.
 */
export function originAllowed(
  origin: string | null,
  host: string | null,
  config: Pick<ServerConfig, "allowOrigin" | "publicServer">,
): boolean {
  if (origin === null || config.publicServer) return true;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  if (host !== null && parsed.host === host) return true;
  return config.allowOrigin.some((o) => o.replace(/\/+$/, "") === origin);
}

/** Options of {@link websocketRoute}. */
export interface WebsocketRouteOptions {
  sessionDeps: SessionDeps;
  /** Every open session, for shutdown and statistics. */
  sessions: Set<ClientSession>;
}

const decoder = new TextDecoder();

/** The `/ws` handler: checks the Origin, then upgrades. */
export function websocketRoute(
  options: WebsocketRouteOptions,
): MiddlewareHandler {
  const { sessionDeps, sessions } = options;
  const upgrade = upgradeWebSocket((c: Context) => {
    let session: ClientSession | null = null;
    const address = remoteAddress(c);
    const connection = connectionOf(c.env);
    return {
      onOpen(_event, ws) {
        session = new ClientSession({
          send: (text) => ws.send(text),
          close: (code, reason) => {
            // A client that never answers the close frame is cut off.
            connection?.closing();
            ws.close(code, reason);
          },
          bufferedAmount: () =>
            (ws.raw as WebSocket | undefined)?.bufferedAmount ?? 0,
        }, { address, deps: sessionDeps });
        sessions.add(session);
      },
      onMessage(event) {
        const data = event.data;
        const text = typeof data === "string"
          ? data
          : data instanceof ArrayBuffer
          ? decoder.decode(data)
          : "";
        session?.receive(text);
      },
      onClose() {
        if (session) {
          session.closedByPeer();
          sessions.delete(session);
        }
      },
      onError() {
        session?.closedByPeer();
      },
    };
  });
  return async function websocket(c, next) {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      throw new HttpError(400, "This is a WebSocket endpoint");
    }
    const config = await sessionDeps.config();
    if (
      !originAllowed(
        c.req.header("origin") ?? null,
        c.req.header("host") ?? null,
        config,
      )
    ) {
      sessionDeps.log(`/ws: refused Origin ${logText(c.req.header("origin"))}`);
      throw new HttpError(403, "Origin not allowed");
    }
    return upgrade(c, next);
  };
}

/** The client's address and port, as operators see it with `identify`. */
export function remoteAddress(c: Context): string {
  try {
    const info = getConnInfo(c);
    const a = info.remote.address ?? "";
    return info.remote.port ? `${a}:${info.remote.port}` : a;
  } catch {
    return "";
  }
}
