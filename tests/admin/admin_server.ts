/**
 * A real HTTP server carrying the administrative API over temporary
 * directories, with the real configuration, token and group layers and a
 * media node whose figures a test sets. It composes the API the way the
 * main application mounts it (`app.route("/", adminApi(deps))` behind the
 * one `onError`), so it does not depend on the rest of the server.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { Hono } from "hono";
import { adminApi } from "../../server/admin/admin_api.ts";
import type { ConnectionFigures } from "../../server/admin/server_stats.ts";
import { TokenStore } from "../../server/auth/token_store.ts";
import {
  ConfigStore,
  DescriptionStore,
} from "../../server/config/description_store.ts";
import { Group } from "../../server/group/group.ts";
import { GroupRegistry } from "../../server/group/group_registry.ts";
import type { Member, PublishedStream } from "../../server/group/member.ts";
import { handleError } from "../../server/http/http_error.ts";

/** Options of {@link startAdminServer}. */
export interface AdminServerOptions {
  /** Group files to write first, by name. */
  groups?: Record<string, unknown>;
  /** `data/config.json`; by default {@link ADMIN} with writableGroups. */
  config?: unknown;
}

/** A server under test. */
export interface AdminServer {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  readonly groupsDir: string;
  readonly dataDir: string;
  /** The figures `.stats` will read from the media node. */
  mediaStats: ConnectionFigures[];
  /** Fetches `/galene-api/v0/PATH`; the body is always read. */
  api(path: string, init?: RequestInit): Promise<ApiResponse>;
  /** Puts a fake member in group `group` (loading it); returns its id. */
  addMember(group: string, id: string, streams?: string[]): Promise<void>;
  writeGroup(name: string, json: unknown): Promise<void>;
  readGroup(name: string): Promise<unknown>;
  close(): Promise<void>;
}

/** A response with its body already read. */
export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  json(): unknown;
}

/** The server administrator every default config.json defines. */
export const ADMIN = { username: "root", password: "rootpw" };

/** `Authorization: Basic` for `username:password`. */
export function basic(username: string, password: string): string {
  const bytes = new TextEncoder().encode(`${username}:${password}`);
  return `Basic ${btoa(String.fromCharCode(...bytes))}`;
}

/** The server administrator's `Authorization` header. */
export const ADMIN_AUTH = basic(ADMIN.username, ADMIN.password);

/** Headers for a JSON request as the administrator, plus `extra`. */
export function adminJson(extra: Record<string, string> = {}): HeadersInit {
  return {
    Authorization: ADMIN_AUTH,
    "Content-Type": "application/json",
    ...extra,
  };
}

/** Starts the server on a free loopback port. */
export async function startAdminServer(
  options: AdminServerOptions = {},
): Promise<AdminServer> {
  const root = await Deno.makeTempDir({ prefix: "nereid-admin-" });
  const dataDir = join(root, "data");
  const groupsDir = join(root, "groups");
  await Deno.mkdir(dataDir);
  await Deno.mkdir(groupsDir);
  await Deno.mkdir(join(root, "recordings"));
  const config = options.config ?? {
    users: {
      [ADMIN.username]: { password: ADMIN.password, permissions: "admin" },
    },
    writableGroups: true,
  };
  await Deno.writeTextFile(
    join(dataDir, "config.json"),
    JSON.stringify(config),
  );
  async function writeGroup(name: string, json: unknown): Promise<void> {
    const file = join(groupsDir, `${name}.json`);
    await Deno.mkdir(dirname(file), { recursive: true });
    await Deno.writeTextFile(file, JSON.stringify(json));
  }
  for (const [name, json] of Object.entries(options.groups ?? {})) {
    await writeGroup(name, json);
  }

  const log = () => {};
  const configStore = new ConfigStore({ dataDir, log });
  const store = new DescriptionStore({ groupsDir, log });
  const groups = new GroupRegistry({ store, log });
  const state = { mediaStats: [] as ConnectionFigures[] };
  const app = new Hono();
  app.onError(handleError);
  app.route(
    "/",
    adminApi({
      config: () => configStore.get(),
      store,
      tokenStore: new TokenStore({ dataDir, log }),
      groups,
      media: { stats: () => Promise.resolve(state.mediaStats) },
      log,
    }),
  );
  const listener = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: () => {},
  }, app.fetch);
  const port = listener.addr.port;
  const url = `http://127.0.0.1:${port}`;
  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    groupsDir,
    dataDir,
    get mediaStats() {
      return state.mediaStats;
    },
    set mediaStats(value) {
      state.mediaStats = value;
    },
    async api(path, init = {}) {
      const res = await fetch(`${url}/galene-api/v0/${path}`, init);
      const text = await res.text();
      return {
        status: res.status,
        headers: res.headers,
        text,
        json: () => JSON.parse(text),
      };
    },
    async addMember(group, id, streams = []) {
      const g = await groups.get(group, Date.now());
      if (!(g instanceof Group)) throw new Error(`No group ${group}`);
      const member = fakeMember(id);
      g.join(member, Date.now());
      for (const stream of streams) g.publish(fakeStream(stream, member));
    },
    writeGroup,
    async readGroup(name) {
      return JSON.parse(
        await Deno.readTextFile(join(groupsDir, `${name}.json`)),
      );
    },
    close() {
      closing ??= (async () => {
        await listener.shutdown();
        await Deno.remove(root, { recursive: true });
      })();
      return closing;
    },
  };
}

function fakeMember(id: string): Member {
  return {
    id,
    username: id,
    permissions: ["op"],
    data: {},
    address: "127.0.0.1:1",
    system: false,
    send() {},
    kick() {},
    permissionsChanged() {},
    streamPublished() {},
    streamClosed() {},
  };
}

function fakeStream(id: string, owner: Member): PublishedStream {
  return {
    id,
    label: "camera",
    owner,
    upId: id,
    tracks: [],
  };
}
