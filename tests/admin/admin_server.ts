/**
 * The administrative API's tests' server: tests/support/test_server.ts with
 * a server administrator (and `writableGroups`) in `data/config.json`, a
 * media node whose figures a test sets, fake members a test puts in a
 * group, and requests to `/galene-api/v0/` whose bodies are read.
 *
 * @module
 */

import { join } from "node:path";
import type { ConnectionFigures } from "../../server/admin/server_stats.ts";
import { Group } from "../../server/group/group.ts";
import type { Member, PublishedStream } from "../../server/group/member.ts";
import {
  type ConnectionStats,
  type DownConnection,
  MediaError,
  type MediaNode,
  type MediaRecording,
  type UpConnection,
} from "../../server/media/media_node.ts";
import { startTestServer } from "../support/test_server.ts";

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
  const media = new FiguresNode();
  const t = await startTestServer({
    ...(options.groups ? { groups: options.groups } : {}),
    config: options.config ?? {
      users: {
        [ADMIN.username]: { password: ADMIN.password, permissions: "admin" },
      },
      writableGroups: true,
    },
    media,
  });
  return {
    url: t.url,
    port: t.server.port,
    groupsDir: t.groupsDir,
    dataDir: t.dataDir,
    get mediaStats() {
      return media.figures;
    },
    set mediaStats(value) {
      media.figures = value;
    },
    async api(path, init = {}) {
      const res = await fetch(`${t.url}/galene-api/v0/${path}`, init);
      const text = await res.text();
      return {
        status: res.status,
        headers: res.headers,
        text,
        json: () => JSON.parse(text),
      };
    },
    async addMember(group, id, streams = []) {
      const g = await t.server.groups.get(group, Date.now());
      if (!(g instanceof Group)) throw new Error(`No group ${group}`);
      const member = fakeMember(id);
      g.join(member, Date.now());
      for (const stream of streams) g.publish(fakeStream(stream, member));
    },
    writeGroup: t.writeGroup,
    async readGroup(name) {
      return JSON.parse(
        await Deno.readTextFile(join(t.groupsDir, `${name}.json`)),
      );
    },
    close: () => t.close(),
  };
}

/**
 * A media node that carries nothing and reports the figures a test sets,
 * for `.stats`.
 */
class FiguresNode implements MediaNode {
  figures: ConnectionFigures[] = [];

  openUp(): Promise<UpConnection> {
    return Promise.reject(new MediaError("refused", "No media in this test"));
  }

  openDown(): Promise<DownConnection> {
    return Promise.reject(new MediaError("refused", "No media in this test"));
  }

  record(): Promise<MediaRecording> {
    return Promise.reject(new MediaError("refused", "No media in this test"));
  }

  stats(): Promise<ConnectionStats[]> {
    return Promise.resolve(this.figures);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
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
