/**
 * Token authentication, compatible with Galène: stateful tokens in
 * `tokens.jsonl`, JWTs verified with the group's `authKeys`, and the chat's
 * token management.
 *
 * @module
 */

export * from "./jwt.ts";
export * from "./stateful_token.ts";
export {
  DEFAULT_INVITE_DURATION,
  editToken,
  makeToken,
  newTokenName,
  type TokenCreator,
  tokenNameOf,
} from "./token_actions.ts";
export * from "./token_store.ts";
export * from "./token_verifier.ts";
