/**
 * What the WHIP and WHEP tests ask of the server under test and do to it as
 * an operator: a group by name, its members' names and live streams, and a
 * kick that resolves once the kicked member is gone.
 *
 * @module
 */

import type { TestServer } from "../../support/test_server.ts";
import type { WsClient } from "../../support/ws_client.ts";

/** A group of the server under test. */
export type TestGroup = ReturnType<TestServer["server"]["groups"]["all"]>[
  number
];

/** Group `name` of `t`, if it is running. */
export function groupOf(t: TestServer, name = "g"): TestGroup | undefined {
  return t.server.groups.all().find((g) => g.name === name);
}

/** The usernames of the members of group `name`, one per member. */
export function memberNames(t: TestServer, name = "g"): string[] {
  return [...groupOf(t, name)?.members() ?? []].map((m) => m.username);
}

/** The ids of the streams of group `name` that have tracks. */
export function liveStreams(t: TestServer, name = "g"): string[] {
  return [...groupOf(t, name)?.streams() ?? []].filter((s) =>
    s.tracks.length > 0
  ).map((s) => s.id);
}

/**
 * Operator `op` kicks member `id` with `reason`; resolves once `op` sees
 * the member go.
 */
export async function kick(
  op: WsClient,
  id: unknown,
  reason: string,
): Promise<void> {
  op.send({
    type: "useraction",
    kind: "kick",
    source: op.id,
    dest: id,
    value: reason,
  });
  await op.next({ type: "user", kind: "delete", id });
}
