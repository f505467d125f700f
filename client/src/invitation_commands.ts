/**
 * The invitation commands of Galène's client: `/invite`, `/reinvite`,
 * `/revoke` and `/listtokens`, mapped to the `maketoken`, `edittoken` and
 * `listtokens` group actions.
 *
 * @module
 */

import { type Command, CommandError, firstWord } from "./command.ts";
import { isExpiry, parseExpiry, tokenFromLink } from "./invitations.ts";

/** `/reinvite` without an expiry gives a day more, as Galène. */
const DEFAULT_EXPIRY_MS = 86_400_000;

function expiry(word: string | undefined, now: number): number | string {
  if (word === undefined || word === "") return DEFAULT_EXPIRY_MS;
  try {
    return parseExpiry(word, now);
  } catch (e) {
    throw new CommandError(e instanceof Error ? e.message : String(e));
  }
}

function token(text: string): string {
  try {
    return tokenFromLink(text);
  } catch (e) {
    throw new CommandError(e instanceof Error ? e.message : String(e));
  }
}

/** The invitation commands by name. */
export const INVITATION_COMMANDS: Readonly<Record<string, Command>> = {
  invite: {
    params: "[user] [expiry]",
    description:
      "Make an invitation link; expiry like 30min, 2h, 1d, 1mon, 1yr or a date (default 1d)",
    needs: ["token"],
    run(ctx, args) {
      const now = ctx.now?.() ?? Date.now();
      const words = args.split(/\s+/).filter((w) => w);
      if (words.length > 2) {
        throw new CommandError("Usage: /invite [user] [expiry]");
      }
      // One word is an expiry if it reads as one, else a username.
      const last = words[words.length - 1];
      const expires = last !== undefined && isExpiry(last, now)
        ? expiry(words.pop(), now)
        : DEFAULT_EXPIRY_MS;
      if (words.length > 1) {
        throw new CommandError(`"${words[1]}" is not an expiry`);
      }
      const username = words[0];
      ctx.conn.groupAction("maketoken", {
        expires,
        ...(username ? { username } : {}),
        permissions: ["present", "message"].filter((p) => ctx.conn.can(p)),
      });
    },
  },
  reinvite: {
    params: "link [expiry]",
    description: "Extend an invitation (default: one day from now)",
    needs: ["op", "token"],
    run(ctx, args) {
      const [link, rest] = firstWord(args);
      if (!link) throw new CommandError("Usage: /reinvite link [expiry]");
      ctx.conn.groupAction("edittoken", {
        token: token(link),
        expires: expiry(rest, ctx.now?.() ?? Date.now()),
      });
    },
  },
  revoke: {
    params: "link",
    description: "Stop an invitation from letting anyone in",
    needs: ["op", "token"],
    run(ctx, args) {
      const [link] = firstWord(args);
      if (!link) throw new CommandError("Usage: /revoke link");
      // A second in the past, as Galène's client: the server keeps the
      // token a week so that the list shows it as expired.
      ctx.conn.groupAction("edittoken", { token: token(link), expires: -1000 });
    },
  },
  listtokens: {
    description: "List this group's invitations",
    needs: ["op", "token"],
    run: (ctx) => ctx.conn.groupAction("listtokens"),
  },
};
