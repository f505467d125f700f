/**
 * Everything before `join`: the group's `.status`, the authServer exchange
 * (POST credentials, receive a JWT), and human texts for refused joins.
 * No DOM: `fetch` is passed in where tests need it.
 *
 * @module
 */

import type { GroupStatus, JoinedMessage } from "./protocol.ts";

/** What the authServer said. */
export type AuthAnswer =
  | { kind: "token"; token: string }
  | { kind: "password" }
  | { kind: "refused" };

/**
 * Fetches `.status` relative to the group page.
 *
 * @throws {Error} When the group does not exist or the server fails.
 */
export async function fetchStatus(
  url: string,
  fetcher: typeof fetch = fetch,
): Promise<GroupStatus> {
  const res = await fetcher(url, { cache: "no-store" });
  if (res.status === 404) throw new Error("This group does not exist");
  if (!res.ok) {
    throw new Error(`The server answered ${res.status} ${res.statusText}`);
  }
  const json: unknown = await res.json();
  if (typeof json !== "object" || json === null) {
    throw new TypeError("The group status is not an object");
  }
  return json as GroupStatus;
}

/**
 * Asks the group's authServer for a token, sent in `join`: 200 with
 * a JWT, 204 to fall back to the password, 403 to refuse.
 *
 * @throws {Error} On any other answer or a network failure.
 */
export async function askAuthServer(
  authServer: string,
  credentials: { location: string; username: string; password: string },
  fetcher: typeof fetch = fetch,
): Promise<AuthAnswer> {
  const res = await fetcher(authServer, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(credentials),
    credentials: "omit",
  });
  if (res.status === 204) return { kind: "password" };
  if (res.status === 403) return { kind: "refused" };
  if (res.ok) {
    const type = res.headers.get("Content-Type") ?? "";
    const token = (await res.text()).trim();
    if (!/^application\/jwt\b/.test(type) || !token) {
      throw new Error(
        `The authentication server sent ${
          type || "no content type"
        }, not a token`,
      );
    }
    return { kind: "token", token };
  }
  throw new Error(
    `The authentication server answered ${res.status} ${res.statusText}`,
  );
}

const KNOWN: ReadonlyArray<[RegExp, string]> = [
  [/^not authori[sz]ed$/i, "Wrong username or password"],
  [/^group does not exist$/i, "This group does not exist"],
  [/^too many users$/i, "The group is full; try again later"],
  [/^this group is not open yet$/i, "This group is not open yet"],
  [/^this group is closed$/i, "This group is closed"],
  [
    /^there are no operators in this group$/i,
    "Nobody is moderating this group yet; try again later",
  ],
  [/expired/i, "This invitation has expired"],
  [/^this group is locked$/i, "This group is locked"],
];

/** A sentence for the login form explaining a refused join. */
export function joinFailureText(
  m: Pick<JoinedMessage, "kind" | "error" | "value">,
  context: { withToken: boolean; locked: boolean },
): string {
  if (m.kind === "redirect") return "This group has moved; following it…";
  if (m.error === "need-username") return "Please choose a username";
  if (m.error === "duplicate-username") {
    return "This username is taken; please choose another";
  }
  const value = m.value.trim();
  if (/^not authori[sz]ed/i.test(value) && context.withToken) {
    return "This invitation link is not valid";
  }
  for (const [pattern, text] of KNOWN) if (pattern.test(value)) return text;
  // A lock message is free text chosen by the operator.
  if (context.locked) {
    return value ? `This group is locked: ${value}` : "This group is locked";
  }
  if (!value) return "The server refused to let you in";
  return value.charAt(0).toUpperCase() + value.slice(1);
}
