/**
 * The WHIP endpoint, `/group/NAME/.whip`, and its session resources,
 * `/group/NAME/.whip/ID` (RFC 9725, with Galène's choices); and the WHEP
 * endpoint, `/group/NAME/.whep`, with the same rules for its resources:
 *
 * - `POST` with `application/sdp` (else 415; at most {@link MAX_OFFER_BYTES},
 *   else 413; not SDP, 400) joins group NAME (404 when it does not exist)
 *   as user `whip` (`whep`) with an empty password, or with the
 *   `Authorization: Bearer` token (403 when refused, 503 when the group is
 *   full). WHIP publishes (without `present`, 403; an offer with no codec of
 *   the group, 422); WHEP receives the stream the query chooses
 *   (server/whip/whep_session.ts; none, 404). Answered `201` with the SDP
 *   answer, `Location` and `ETag`, and the ICE servers as `Link` headers.
 * - `PATCH` with `application/trickle-ice-sdpfrag` adds candidates (204) or,
 *   for WHIP, with new ICE credentials restarts ICE (200 with the server's
 *   fragment and a new `ETag`); `DELETE` ends the session (200). Both need
 *   the token the session was created with (403), honour `If-Match` (412),
 *   and get 404 for a session that does not exist (any more).
 * - `OPTIONS` answers CORS preflights; an Origin the server does not allow
 *   (the rule of `/ws`) gets no CORS headers, and its other requests 403.
 *
 * At most {@link DEFAULT_MAX_SESSIONS} sessions exist at once (503 beyond).
 *
 * @module
 */

import type { Context, MiddlewareHandler } from "hono";
import { readBody } from "../admin/request_body.ts";
import { evaluatePreconditions } from "../admin/preconditions.ts";
import { Group } from "../group/group.ts";
import { parseGroupPath } from "../http/group_routes.ts";
import { HttpError } from "../http/http_error.ts";
import { originAllowed, remoteAddress } from "../http/websocket_route.ts";
import type { ClientSession } from "../signalling/client_session.ts";
import type { SessionDeps } from "../signalling/session_deps.ts";
import {
  corsHeaders,
  iceServerLinks,
  type LinkIceServer,
} from "./http_headers.ts";
import { parseFragment, summarizeSdp } from "./sdp_text.ts";
import type { HttpSession } from "./http_session.ts";
import { WhepSession } from "./whep_session.ts";
import { WhipSession } from "./whip_session.ts";

/** Offers are a few kilobytes; Galène takes up to 1 MiB, which no tool needs. */
export const MAX_OFFER_BYTES = 256 << 10;
/** A fragment carries a few candidates. */
export const MAX_FRAGMENT_BYTES = 64 << 10;
/** WHIP and WHEP sessions at once, over every group. */
export const DEFAULT_MAX_SESSIONS = 1024;
/** A bearer token longer than this is no token we issue or accept. */
const MAX_TOKEN_BYTES = 8192;

const SDP = "application/sdp";
const FRAGMENT = "application/trickle-ice-sdpfrag";

/** What the WHIP routes need. */
export interface WhipRoutesDeps {
  sessionDeps: SessionDeps;
  /** The server's open sessions (shutdown, credential renewal). */
  sessions: Set<ClientSession>;
  maxSessions?: number;
}

/** Options of a session's start, as the routes give them. */
interface StartOptions {
  deps: SessionDeps;
  identity: { group: string; username: string; token: string | undefined };
  address: string;
  offer: string;
  onOpen(session: HttpSession): void;
  onClose(session: HttpSession): void;
}

/** What differs between the two endpoints. */
interface Kind {
  username: string;
  start(
    options: StartOptions,
    c: Context,
  ): Promise<{ session: HttpSession; answer: string }>;
}

const KINDS: Record<string, Kind> = {
  ".whip": { username: "whip", start: (o) => WhipSession.start(o) },
  ".whep": {
    username: "whep",
    start: (o, c) => {
      const stream = c.req.query("stream");
      const user = c.req.query("user");
      return WhepSession.start({
        ...o,
        choice: {
          ...(stream !== undefined ? { stream } : {}),
          ...(user !== undefined ? { user } : {}),
        },
      });
    },
  },
};

/**
 * The `/group/*` middleware that serves `.whip` and `.whep` paths and
 * passes the rest on.
 */
export function whipRoutes(deps: WhipRoutesDeps): MiddlewareHandler {
  const table = new Map<string, HttpSession>();
  let starting = 0;
  const max = deps.maxSessions ?? DEFAULT_MAX_SESSIONS;
  const { sessionDeps } = deps;

  async function cors(c: Context, methods: string, expose: string) {
    const config = await sessionDeps.config();
    const origin = c.req.header("origin") ?? null;
    const allowed = originAllowed(origin, c.req.header("host") ?? null, config);
    if (origin !== null && !allowed && c.req.method !== "OPTIONS") {
      throw new HttpError(403, "Origin not allowed");
    }
    return corsHeaders({
      allowedOrigin: origin !== null && allowed ? origin : null,
      methods,
      expose,
    });
  }

  function links(headers: Headers): void {
    const servers = sessionDeps.rtcConfiguration()["iceServers"];
    if (!Array.isArray(servers)) return;
    for (const link of iceServerLinks(servers as LinkIceServer[])) {
      headers.append("Link", link);
    }
  }

  async function lookup(name: string): Promise<Group> {
    const g = await sessionDeps.groups.get(name, sessionDeps.now());
    if (g instanceof Group) return g;
    if (g.reason === "invalid") {
      throw new HttpError(503, `Group "${name}" is misconfigured`);
    }
    throw new HttpError(404, `Group "${name}" does not exist`);
  }

  async function endpoint(
    c: Context,
    name: string,
    kind: string,
  ): Promise<Response> {
    const method = c.req.method;
    if (method !== "POST" && method !== "OPTIONS") {
      throw new HttpError(405, "Method not allowed", {
        headers: { Allow: "OPTIONS, POST" },
      });
    }
    const headers = await cors(
      c,
      "OPTIONS, POST",
      "Location, Link, ETag, Content-Type",
    );
    links(headers);
    if (method === "OPTIONS") {
      await lookup(name);
      return new Response(null, { status: 204, headers });
    }
    const offer = await readBody(c.req.raw, {
      types: [SDP],
      limit: MAX_OFFER_BYTES,
    });
    await lookup(name);
    try {
      summarizeSdp(offer);
    } catch (e) {
      throw new HttpError(400, (e as Error).message);
    }
    if (table.size + starting >= max) {
      throw new HttpError(503, "Too many WHIP and WHEP sessions", {
        headers: { "Retry-After": "30" },
      });
    }
    starting++;
    let started;
    try {
      started = await KINDS[kind]!.start({
        deps: sessionDeps,
        identity: {
          group: name,
          username: KINDS[kind]!.username,
          token: bearer(c),
        },
        address: remoteAddress(c),
        offer,
        // In the server's sessions from the start: a shutdown kicks it.
        onOpen: (s) => deps.sessions.add(s.member.session),
        onClose: (s) => {
          table.delete(s.id);
          deps.sessions.delete(s.member.session);
        },
      }, c);
    } finally {
      starting--;
    }
    const { session, answer } = started;
    if (session.closed) throw new HttpError(409, "The session ended");
    table.set(session.id, session);
    headers.set("Content-Type", SDP);
    headers.set(
      "Location",
      `/group/${encodeURI(name)}/${kind}/${session.id}`,
    );
    headers.set("ETag", session.etag);
    return new Response(answer, { status: 201, headers });
  }

  async function resource(
    c: Context,
    name: string,
    kind: string,
    id: string,
  ): Promise<Response> {
    const method = c.req.method;
    if (method !== "PATCH" && method !== "DELETE" && method !== "OPTIONS") {
      throw new HttpError(405, "Method not allowed", {
        headers: { Allow: "OPTIONS, PATCH, DELETE" },
      });
    }
    const headers = await cors(
      c,
      "OPTIONS, PATCH, DELETE",
      "ETag, Link, Content-Type",
    );
    const session = table.get(id);
    if (
      session === undefined || session.group !== name ||
      !(session instanceof (kind === ".whip" ? WhipSession : WhepSession))
    ) {
      throw new HttpError(404, "No such session");
    }
    if (method === "OPTIONS") {
      return new Response(null, { status: 204, headers });
    }
    if (session.token !== undefined && bearer(c) !== session.token) {
      throw new HttpError(403, "Not authorised for this session");
    }
    const outcome = evaluatePreconditions(c.req.raw.headers, {
      method,
      etag: session.etag,
    });
    if (outcome !== "proceed") {
      throw new HttpError(412, "Precondition failed", {
        headers: { ETag: session.etag },
      });
    }
    if (method === "DELETE") {
      session.close("");
      return new Response(null, { status: 200, headers });
    }
    const text = await readBody(c.req.raw, {
      types: [FRAGMENT],
      limit: MAX_FRAGMENT_BYTES,
    });
    let fragment;
    try {
      fragment = parseFragment(text);
    } catch (e) {
      throw new HttpError(400, (e as Error).message);
    }
    const result = await session.patch(fragment);
    headers.set("ETag", session.etag);
    if (result.kind === "candidates") {
      return new Response(null, { status: 204, headers });
    }
    headers.set("Content-Type", FRAGMENT);
    return new Response(result.fragment, { status: 200, headers });
  }

  return function whip(c, next) {
    let path: string;
    try {
      path = decodeURIComponent(c.req.path);
    } catch {
      return next();
    }
    const parsed = parseGroupPath(path);
    const special = parsed?.special;
    if (parsed === null || special === null || special === undefined) {
      return next();
    }
    const kind = special.slice(0, 5);
    if (!(kind in KINDS)) return next();
    if (special === kind) return endpoint(c, parsed.name, kind);
    if (special[5] === "/") {
      return resource(c, parsed.name, kind, special.slice(6));
    }
    return next();
  };
}

/** The `Authorization: Bearer` token, if any. */
function bearer(c: Context): string | undefined {
  const header = c.req.header("authorization");
  if (header === undefined) return undefined;
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  if (m === null) return undefined;
  const token = m[1]!;
  if (token.length > MAX_TOKEN_BYTES) {
    throw new HttpError(400, "The bearer token is too long");
  }
  return token;
}
