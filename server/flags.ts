/**
 * Command-line flags, spelled as Galène spells them: `-http :8443`,
 * `--http=:8443` and `-insecure` all work.
 *
 * @module
 */

/** Nereid's settings from the command line. */
export interface Flags {
  http: string;
  data: string;
  groups: string;
  recordings: string;
  static: string;
  insecure: boolean;
  udpRange: string;
  turn: string;
  turnTls: string;
  relayOnly: boolean;
  mdns: boolean;
  role: string;
  redis: string;
  mediaListen: string;
  mediaUrl: string;
  nodeId: string;
  help: boolean;
}

interface FlagSpec {
  key: keyof Flags;
  kind: "string" | "boolean";
  value: string;
  help: string;
}

const SPECS: Record<string, FlagSpec> = {
  http: {
    key: "http",
    kind: "string",
    value: "ADDRESS",
    help: "listen on ADDRESS, [host]:port (default :8443)",
  },
  data: {
    key: "data",
    kind: "string",
    value: "DIR",
    help:
      "data directory: config.json, cert.pem, key.pem, ice-servers.json, turn-secret, var/ (default ./data)",
  },
  groups: {
    key: "groups",
    kind: "string",
    value: "DIR",
    help: "group definitions (default ./groups)",
  },
  recordings: {
    key: "recordings",
    kind: "string",
    value: "DIR",
    help: "recordings (default ./recordings)",
  },
  static: {
    key: "static",
    kind: "string",
    value: "DIR",
    help: "web client files (default: the client/ folder beside main.ts)",
  },
  insecure: {
    key: "insecure",
    kind: "boolean",
    value: "",
    help: "serve plain HTTP instead of HTTPS",
  },
  "udp-range": {
    key: "udpRange",
    kind: "string",
    value: "LOW-HIGH",
    help: "UDP port range for media (default: any port)",
  },
  turn: {
    key: "turn",
    kind: "string",
    value: "ADDRESS",
    help:
      'built-in TURN server (UDP and TCP): "auto" = on port 1194 when the machine has a public IPv4 address and data/ice-servers.json lists no server, "" = off, [IP]:PORT = on, advertising IP (default "auto")',
  },
  "turn-tls": {
    key: "turnTls",
    kind: "string",
    value: "PORT",
    help:
      "also serve TURN over TLS on PORT with the HTTPS certificate (default: off)",
  },
  "relay-only": {
    key: "relayOnly",
    kind: "boolean",
    value: "",
    help: "use TURN relays only for media",
  },
  mdns: {
    key: "mdns",
    kind: "boolean",
    value: "",
    help: "accepted for compatibility; Nereid gathers no mDNS candidates",
  },
  role: {
    key: "role",
    kind: "string",
    value: "ROLE",
    help:
      "all (one process, the default), edge (HTTP and signalling only) or media (a media node); edge and media need -redis",
  },
  redis: {
    key: "redis",
    kind: "string",
    value: "URL",
    help:
      "redis://HOST:PORT of the cluster (default: none, everything in this process)",
  },
  "media-listen": {
    key: "mediaListen",
    kind: "string",
    value: "ADDRESS",
    help: "-role media: listen address of the control endpoint (default :8444)",
  },
  "media-url": {
    key: "mediaUrl",
    kind: "string",
    value: "URL",
    help:
      "-role media: the control URL edges are told (default ws://HOST:PORT/control)",
  },
  "node-id": {
    key: "nodeId",
    kind: "string",
    value: "ID",
    help: "-role media: this node's id (default media-HOSTNAME)",
  },
  help: { key: "help", kind: "boolean", value: "", help: "show this help" },
  h: { key: "help", kind: "boolean", value: "", help: "" },
};

/** A command-line mistake; the caller prints it and exits with code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** The defaults, relative to the current directory. */
export function defaultFlags(staticDir: string): Flags {
  return {
    http: ":8443",
    data: "./data",
    groups: "./groups",
    recordings: "./recordings",
    static: staticDir,
    insecure: false,
    udpRange: "",
    turn: "auto",
    turnTls: "",
    relayOnly: false,
    mdns: false,
    role: "all",
    redis: "",
    mediaListen: ":8444",
    mediaUrl: "",
    nodeId: "",
    help: false,
  };
}

/**
 * Parses the arguments.
 * @throws {UsageError} on an unknown flag, a missing value or a bad boolean
 */
export function parseFlags(args: readonly string[], defaults: Flags): Flags {
  const flags: Flags = { ...defaults };
  const record = flags as unknown as Record<string, string | boolean>;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    const m = /^--?([a-z][a-z-]*)(?:=(.*))?$/s.exec(arg);
    if (!m) throw new UsageError(`Unexpected argument "${arg}"`);
    const name = m[1] ?? "";
    const spec = Object.hasOwn(SPECS, name) ? SPECS[name] : undefined;
    if (spec === undefined) throw new UsageError(`Unknown flag "-${name}"`);
    const inline = m[2];
    if (spec.kind === "boolean") {
      if (inline === undefined || inline === "true" || inline === "1") {
        record[spec.key] = true;
      } else if (inline === "false" || inline === "0") {
        record[spec.key] = false;
      } else {
        throw new UsageError(
          `Flag "-${name}" takes true or false, not "${inline}"`,
        );
      }
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined) {
      throw new UsageError(`Flag "-${name}" needs a value`);
    }
    record[spec.key] = value;
  }
  udpPortRange(flags.udpRange);
  if (flags.turn !== "" && flags.turn !== "auto") {
    const m = /^([0-9.]*):(\d{1,5})$/.exec(flags.turn);
    if (!m || Number(m[2]) > 65535) {
      throw new UsageError(
        `Flag "-turn" takes "", auto, :PORT or IPv4:PORT, not "${flags.turn}"`,
      );
    }
  }
  if (flags.turnTls && !/^\d{1,5}$/.test(flags.turnTls)) {
    throw new UsageError(
      `Flag "-turn-tls" takes a port, not "${flags.turnTls}"`,
    );
  }
  role(flags);
  return flags;
}

/** A process's part in a cluster. */
export type Role = "all" | "edge" | "media";

/**
 * Checks `-role` against `-redis`: an edge needs Redis (to find media
 * nodes); `all` keeps everything in one process, without Redis.
 * @throws {UsageError} when they do not fit together
 */
export function role(flags: Pick<Flags, "role" | "redis">): Role {
  const r = flags.role;
  if (r !== "all" && r !== "edge" && r !== "media") {
    throw new UsageError(
      `Flag "-role" takes all, edge or media, not "${r.slice(0, 32)}"`,
    );
  }
  if (r === "edge" && flags.redis === "") {
    throw new UsageError(
      `-role edge needs -redis (where media nodes register)`,
    );
  }
  if (r === "all" && flags.redis !== "") {
    throw new UsageError(
      `-redis needs -role edge or media (-role all keeps everything in this process)`,
    );
  }
  return r;
}

/**
 * Parses `-udp-range LOW-HIGH` (1 ≤ LOW < HIGH ≤ 65535); undefined for "".
 * A single port is refused: in Galène it multiplexes every connection on
 * one port, and Nereid gives each connection a port of its own.
 * @throws {UsageError} when the value is not such a range
 */
export function udpPortRange(value: string): [number, number] | undefined {
  if (value === "") return undefined;
  const m = /^(\d+)-(\d+)$/.exec(value);
  const low = Number(m?.[1]), high = Number(m?.[2]);
  if (m && low >= 1 && low < high && high <= 65535) return [low, high];
  if (/^\d+$/.test(value)) {
    throw new UsageError(
      `Flag "-udp-range" takes LOW-HIGH, not a single port ("${value}"): Nereid has no UDP multiplexing, each connection takes a port of the range`,
    );
  }
  throw new UsageError(
    `Flag "-udp-range" takes LOW-HIGH with 1 ≤ LOW < HIGH ≤ 65535, not "${value}"`,
  );
}

/** Splits `-http` into a hostname and a port. */
export function listenAddress(
  http: string,
): { hostname: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(http);
  if (!m) throw new UsageError(`Flag "-http" takes [host]:port, not "${http}"`);
  const host = (m[1] ?? "").replace(/^\[(.*)\]$/, "$1");
  const port = Number(m[2]);
  if (port > 65535) throw new UsageError(`Port ${port} is out of range`);
  return { hostname: host === "" ? "0.0.0.0" : host, port };
}

/** The `--help` text. */
export function usage(): string {
  const lines = [
    "Usage: deno run -A main.ts [flags]",
    "       deno run -A main.ts ctl SUBCOMMAND [flags]   (administration: ctl --help)",
    "",
    "Nereid, a Galène-compatible videoconference server.",
    "Flags may be written -flag value, -flag=value, --flag value or --flag=value.",
    "",
  ];
  for (const [name, spec] of Object.entries(SPECS)) {
    if (!spec.help) continue;
    const head = `  -${name}${spec.value ? " " + spec.value : ""}`;
    lines.push(head.padEnd(24) + spec.help);
  }
  return lines.join("\n");
}
