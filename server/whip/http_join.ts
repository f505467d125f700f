/**
 * Joining a group on behalf of an HTTP client (a WHIP publisher, a WHEP
 * viewer) through its {@link HttpMember}, with the group's own rules, and
 * the HTTP status of each refusal.
 *
 * @module
 */

import { HttpError } from "../http/http_error.ts";
import { randomHex } from "./random_id.ts";
import { type HttpMember, MemberClosed } from "./http_member.ts";

/** Time for the handshake and join (the join may wait on a token server). */
const JOIN_TIMEOUT_MS = 15_000;

/** Who the HTTP client is: a fixed username, or a bearer token's. */
export interface HttpIdentity {
  group: string;
  /** `whip` or `whep`, as Galène names its WHIP publishers. */
  username: string;
  /** The `Authorization: Bearer` token, if any. */
  token: string | undefined;
}

/** The joined member's username and permissions. */
export interface Joined {
  username: string;
  permissions: string[];
}

/**
 * Handshakes and joins; resolves with the grant. The member is closed on
 * failure.
 * @throws {HttpError} 404 (no such group, or moved), 403 (not authorised,
 * locked, closed), 503 (too many users, misconfigured, no reply)
 */
export async function joinAsHttpClient(
  member: HttpMember,
  identity: HttpIdentity,
): Promise<Joined> {
  let reply;
  try {
    // The session takes nothing else before its handshake is answered.
    await member.request(
      { type: "handshake", version: ["2"], id: randomHex(16) },
      { match: (m) => m["type"] === "handshake", timeoutMs: JOIN_TIMEOUT_MS },
    );
    reply = await member.request({
      type: "join",
      kind: "join",
      group: identity.group,
      username: identity.username,
      password: "",
      ...(identity.token !== undefined ? { token: identity.token } : {}),
    }, {
      match: (m) => m["type"] === "joined" && m["kind"] !== "change",
      timeoutMs: JOIN_TIMEOUT_MS,
    });
  } catch (e) {
    member.close("");
    if (e instanceof MemberClosed) throw new HttpError(403, "Not authorised");
    throw new HttpError(503, "The group did not answer in time");
  }
  if (reply["kind"] === "join") {
    const permissions = Array.isArray(reply["permissions"])
      ? reply["permissions"].filter((p): p is string => typeof p === "string")
      : [];
    return { username: String(reply["username"] ?? ""), permissions };
  }
  member.close("");
  const value = String(reply["value"] ?? "");
  if (reply["kind"] === "redirect") {
    throw new HttpError(404, "This group has moved");
  }
  if (value === "group does not exist") {
    throw new HttpError(404, `Group "${identity.group}" does not exist`);
  }
  if (value === "too many users") {
    throw new HttpError(503, "Too many users in this group", {
      headers: { "Retry-After": "30" },
    });
  }
  if (value.startsWith("this group is misconfigured")) {
    throw new HttpError(503, `Group "${identity.group}" is misconfigured`);
  }
  throw new HttpError(403, value ? sentence(value) : "Not authorised");
}

/** A protocol message as an HTTP error's text: capitalised. */
export function sentence(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
