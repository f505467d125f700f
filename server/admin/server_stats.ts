/**
 * The `.stats` document, in Galène's shape: per group in memory, its clients
 * and their up and down connections with per-track figures.
 *
 * @module
 */

import type { ConnectionStats, TrackStats } from "../media/media_node.ts";

/** One track as `.stats` shows it; times in milliseconds, loss 0…1. */
export interface TrackReport {
  bitrate: number;
  maxBitrate?: number;
  loss: number;
  rtt?: number;
  jitter?: number;
  /** The simulcast layer (rid). */
  layer?: string;
  /** SVC, as Galène: the spatial and temporal layers forwarded and the highest seen. */
  sid?: number;
  maxSid?: number;
  tid?: number;
  maxTid?: number;
}

/** One connection as `.stats` shows it. */
export interface ConnectionReport {
  id: string;
  maxBitrate?: number;
  tracks: TrackReport[];
}

/** One client as `.stats` shows it. */
export interface ClientReport {
  id: string;
  /** Our addition to Galène's format, for people reading the page. */
  username?: string;
  up: ConnectionReport[];
  down: ConnectionReport[];
}

/** One group as `.stats` shows it. */
export interface GroupReport {
  name: string;
  clients: ClientReport[];
}

/** What {@link buildStats} needs of a group in memory. */
export interface StatsGroup {
  readonly name: string;
  members(): Iterable<{ readonly id: string; readonly username?: string }>;
  streams(): Iterable<
    {
      readonly owner: { readonly id: string };
      readonly upId: string;
    }
  >;
}

/**
 * A media node's figures for one connection. A down connection's id is the
 * stream's, shared by every subscriber, so it is attributed through
 * `subscriber` when the media node reports it and left out otherwise.
 */
export type ConnectionFigures = ConnectionStats & { subscriber?: string };

/**
 * Builds the `.stats` document; groups and clients sorted by name and id.
 * The media node reports rtt and jitter in seconds; Galène's document has
 * milliseconds.
 *
 * @example
 * ```ts
 * const report = buildStats(registry.all(), await media.stats());
 * ```
 */
export function buildStats(
  groups: Iterable<StatsGroup>,
  connections: readonly ConnectionFigures[],
): GroupReport[] {
  const ups = new Map<string, ConnectionFigures>();
  const downs = new Map<string, ConnectionFigures[]>();
  for (const conn of connections) {
    if (conn.direction === "up") {
      ups.set(conn.id, conn);
    } else if (conn.subscriber !== undefined) {
      const list = downs.get(conn.subscriber) ?? [];
      list.push(conn);
      downs.set(conn.subscriber, list);
    }
  }
  const reports: GroupReport[] = [];
  for (const group of groups) {
    const upsOf = new Map<string, ConnectionReport[]>();
    for (const stream of group.streams()) {
      const figures = ups.get(stream.upId);
      if (!figures) continue;
      const list = upsOf.get(stream.owner.id) ?? [];
      list.push(connectionReport(figures));
      upsOf.set(stream.owner.id, list);
    }
    const clients = [...group.members()].map((member) => ({
      id: member.id,
      ...(member.username !== undefined ? { username: member.username } : {}),
      up: sortById(upsOf.get(member.id) ?? []),
      down: sortById((downs.get(member.id) ?? []).map(connectionReport)),
    }));
    reports.push({ name: group.name, clients: sortById(clients) });
  }
  return reports.sort((a, b) => compare(a.name, b.name));
}

function connectionReport(figures: ConnectionFigures): ConnectionReport {
  const tracks = figures.tracks.map(trackReport);
  const report: ConnectionReport = { id: figures.id, tracks };
  // The subscriber's REMB bounds the whole connection.
  const limits = tracks.flatMap((t) =>
    t.maxBitrate === undefined ? [] : [t.maxBitrate]
  );
  if (figures.direction === "down" && limits.length > 0) {
    report.maxBitrate = Math.max(...limits);
  }
  return report;
}

function trackReport(track: TrackStats): TrackReport {
  const report: TrackReport = {
    bitrate: finite(track.bitrate),
    loss: Math.min(1, Math.max(0, finite(track.loss))),
  };
  if (track.maxBitrate !== undefined) {
    report.maxBitrate = finite(track.maxBitrate);
  }
  if (track.rtt !== undefined) report.rtt = finite(track.rtt) * 1000;
  if (track.jitter !== undefined) report.jitter = finite(track.jitter) * 1000;
  if (track.layer !== undefined) report.layer = track.layer;
  for (const key of ["sid", "maxSid", "tid", "maxTid"] as const) {
    const v = track[key];
    if (v !== undefined) report[key] = finite(v);
  }
  return report;
}

function finite(value: number): number {
  return Number.isFinite(value) ? value : 0;
}

function sortById<T extends { id: string }>(list: T[]): T[] {
  return list.sort((a, b) => compare(a.id, b.id));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
