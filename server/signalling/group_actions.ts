/**
 * `groupaction`: one small handler per kind, each with the permission it
 * needs.
 *
 * @module
 */

import type { Permission } from "../config/permissions.ts";
import type { ClearSelector } from "../group/chat_history.ts";
import { logText } from "../log_text.ts";
import {
  type GroupRecorders,
  RecordingRefused,
} from "../recording/group_recorder.ts";
import type { ClientMessage } from "../protocol/message.ts";
import { formatTime } from "./chat.ts";
import type { ClientSession } from "./client_session.ts";
import { TOO_MUCH_DATA, UserError } from "./errors.ts";
import {
  handleEditToken,
  handleListTokens,
  handleMakeToken,
} from "./token_actions.ts";

type GroupAction = Extract<ClientMessage, { type: "groupaction" }>;

interface ActionHandler {
  /** Every one of these is needed. */
  needs: readonly Permission[];
  run(session: ClientSession, value: unknown): void | Promise<void>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function recorders(session: ClientSession): GroupRecorders {
  const r = session.deps.recorders;
  if (r === undefined) {
    throw new UserError("recording is not available on this server");
  }
  return r;
}

/** "already recording" and the like are the client's to read. */
async function refusalsToUser(work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (e) {
    if (e instanceof RecordingRefused) throw new UserError(e.message);
    throw e;
  }
}

function clearSelector(value: unknown): ClearSelector {
  if (value === null || value === undefined) return { all: true };
  if (isObject(value) && typeof value["userId"] === "string") {
    const id = value["id"];
    return typeof id === "string"
      ? { userId: value["userId"], id }
      : { userId: value["userId"] };
  }
  throw new UserError("clearchat: the value must name a userId");
}

const actions: Record<string, ActionHandler> = {
  clearchat: {
    needs: ["op"],
    run(session, value) {
      const group = session.requireGroup();
      const selector = clearSelector(value);
      group.history.clear(selector);
      const message = {
        type: "usermessage",
        kind: "clearchat",
        source: session.id,
        username: session.username,
        privileged: true,
        ...(value === null ? {} : { value }),
      } as const;
      group.broadcast(message);
      group.replication?.chatCleared(selector, message);
    },
  },
  lock: {
    needs: ["op"],
    run(session, value) {
      const message = typeof value === "string" && value !== ""
        ? value
        : "this group is locked";
      session.requireGroup().setLock(message);
    },
  },
  unlock: {
    needs: ["op"],
    run(session) {
      session.requireGroup().setLock(null);
    },
  },
  record: {
    needs: ["record"],
    async run(session) {
      const group = session.requireGroup();
      await refusalsToUser(() => recorders(session).start(group));
      session.deps.log(
        `group ${group.name}: ${logText(session.username)} started recording`,
      );
    },
  },
  unrecord: {
    needs: ["record"],
    async run(session) {
      const group = session.requireGroup();
      await refusalsToUser(() => recorders(session).stop(group));
      session.deps.log(
        `group ${group.name}: ${logText(session.username)} stopped recording`,
      );
    },
  },
  subgroups: {
    needs: ["op"],
    run(session) {
      const group = session.requireGroup();
      const lines = session.deps.groups.subgroups(group.name).map((g) =>
        `${g.name} (${g.clientCount} clients)`
      );
      session.send({
        type: "chat",
        dest: session.id,
        username: "Server",
        time: formatTime(session.deps.now()),
        privileged: true,
        value: lines.length > 0 ? lines.join("\n") : "No subgroups",
      });
    },
  },
  setdata: {
    needs: ["op"],
    run(session, value) {
      if (!isObject(value)) {
        throw new UserError("setdata: the value must be an object");
      }
      if (!session.requireGroup().mergeData(value)) {
        throw new UserError(TOO_MUCH_DATA);
      }
    },
  },
  maketoken: { needs: ["token"], run: handleMakeToken },
  edittoken: { needs: ["op", "token"], run: handleEditToken },
  listtokens: { needs: ["op", "token"], run: handleListTokens },
};

/** Handles `groupaction`. */
export async function handleGroupAction(
  session: ClientSession,
  m: GroupAction,
): Promise<void> {
  session.requireGroup();
  const action = Object.hasOwn(actions, m.kind) ? actions[m.kind] : undefined;
  if (action === undefined) throw new UserError("unknown group action");
  if (!action.needs.every((p) => session.can(p))) {
    throw new UserError("not authorised");
  }
  await action.run(session, m.value);
}
