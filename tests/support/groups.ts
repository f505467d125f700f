/**
 * Group files the tests share, as JSON values for
 * {@link import("./test_server.ts").TestServerOptions.groups}.
 *
 * @module
 */

/** Like `groups/demo.json`: admin/nereid is op, anyone else presents. */
export const DEMO_GROUP = {
  public: true,
  displayName: "Client test room",
  description: "A room for the client's tests.",
  "allow-recording": true,
  users: { admin: { password: "nereid", permissions: "op" } },
  "wildcard-user": { password: { type: "wildcard" }, permissions: "present" },
};

/**
 * A group anyone may join with any password and publish in, as the
 * end-to-end tests' `e2e` group; `extra` adds or overrides keys (`codecs`).
 */
export function openGroup(
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    "wildcard-user": {
      password: { type: "wildcard" },
      permissions: "present",
    },
    ...extra,
  };
}
