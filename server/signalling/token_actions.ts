/**
 * The invitation group actions (`maketoken`, `edittoken`, `listtokens`):
 * the rules live in server/auth/token_actions.ts; this turns them into
 * protocol replies.
 *
 * @module
 */

import { isJsonObject } from "../config/json_fields.ts";
import {
  DEFAULT_INVITE_DURATION,
  editToken,
  makeToken,
  newTokenName,
  serializeToken,
  tokenNameOf,
} from "../auth/token_actions.ts";
import { TokenStoreError } from "../auth/token_store.ts";
import { logText } from "../log_text.ts";
import type { ClientSession } from "./client_session.ts";
import { UserError } from "./errors.ts";

function store(session: ClientSession) {
  const s = session.deps.tokenStore;
  if (s === undefined) {
    throw new UserError("invitations are not available on this server");
  }
  return s;
}

/** Turns rule violations into errors the client is shown. */
async function userErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof TypeError) throw new UserError(e.message);
    if (e instanceof TokenStoreError) {
      throw new UserError(`Cannot change token: ${e.message}`);
    }
    throw e;
  }
}

function reply(session: ClientSession, kind: string, value: unknown): void {
  session.send({ type: "usermessage", kind, privileged: true, value });
}

/** `maketoken`: creates an invitation for the sender's group. */
export async function handleMakeToken(
  session: ClientSession,
  value: unknown,
): Promise<void> {
  const group = session.requireGroup();
  const tokens = store(session);
  // Galène's client sends an expiry; others get its default of one day.
  const template = isJsonObject(value) && value["expires"] === undefined
    ? { ...value, expires: DEFAULT_INVITE_DURATION }
    : value;
  const token = await userErrors(async () => {
    const t = makeToken(template, {
      creator: { username: session.username, permissions: session.permissions },
      group: group.name,
      description: group.description,
      now: session.deps.now(),
      newName: newTokenName(),
    });
    await tokens.add(t);
    return t;
  });
  session.deps.log(
    `group ${group.name}: ${logText(session.username)} created an invitation`,
  );
  reply(session, "token", serializeToken(token));
}

/** `edittoken`: changes the expiry of one of the group's invitations. */
export async function handleEditToken(
  session: ClientSession,
  value: unknown,
): Promise<void> {
  const group = session.requireGroup();
  const tokens = store(session);
  const now = session.deps.now();
  const edited = await userErrors(async () => {
    const name = tokenNameOf(value);
    let result: ReturnType<typeof editToken> | undefined;
    await tokens.update(name, (t) => {
      result = editToken(t, value, { now, group: group.name });
      return result;
    });
    if (result === undefined) {
      throw new TypeError("Cannot edit token: unknown token");
    }
    return result;
  });
  reply(session, "token", serializeToken(edited));
}

/** `listtokens`: the group's invitations. */
export async function handleListTokens(session: ClientSession): Promise<void> {
  const group = session.requireGroup();
  const list = await store(session).list(group.name);
  reply(session, "tokenlist", list.map(serializeToken));
}
