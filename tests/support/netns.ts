/**
 * A private network namespace for a test's processes: `unshare --net` makes
 * it (it goes away with them), with loopback up and a veth pair whose end
 * (`n0`, or the name asked for) carries the addresses a server offers as
 * host candidates, IPv4 and, when asked, IPv6. A server there offers "real"
 * (non-loopback) addresses, and peers there reach them, without a packet
 * leaving the namespace or a change to the machine's network. Firefox
 * gathers no candidate at all without a default route, so one can be added
 * through a gateway that does not exist: a packet for any other address
 * goes nowhere. Needs root (CAP_SYS_ADMIN) and `ip`.
 *
 * @module
 */

/** Addresses of the namespace's interface `n0`. */
export interface NetnsAddresses {
  /** IPv4 with prefix, e.g. "10.77.0.1/24". */
  ipv4: string;
  /** IPv6 with prefix, e.g. "fd77::1/64"; none (only link-local) when absent. */
  ipv6?: string;
  /** Name of the interface (default `n0`); never "veth…", which werift skips. */
  device?: string;
  /** A default route through this IPv4 address, which nothing answers. */
  gateway?: string;
}

function setup(addresses: NetnsAddresses): string {
  const dev = addresses.device ?? "n0";
  return [
    "set -e",
    "ip link set lo up",
    // Not "veth…": werift skips interfaces with that prefix.
    `ip link add ${dev} type veth peer name n1`,
    `ip link set ${dev} up`,
    "ip link set n1 up",
    `ip addr add ${addresses.ipv4} dev ${dev}`,
    ...(addresses.ipv6
      ? [`ip addr add ${addresses.ipv6} dev ${dev} nodad`]
      : []),
    ...(addresses.gateway
      ? [`ip route add default via ${addresses.gateway} dev ${dev}`]
      : []),
  ].join("\n");
}

function probe(): boolean {
  try {
    const out = new Deno.Command("unshare", {
      args: ["--net", "sh", "-c", setup({ ipv4: "10.77.0.1/24" })],
      stdout: "null",
      stderr: "null",
    }).outputSync();
    return out.success;
  } catch {
    return false; // no unshare, or no permission to run it
  }
}

/** Whether this machine lets the tests make a network namespace. */
export const netnsAvailable: boolean = probe();

/**
 * Runs `deno run -A script args…` in a fresh namespace with `addresses` and
 * resolves with its exit status, standard output and standard error.
 */
export async function runInNetns(
  addresses: NetnsAddresses,
  command: {
    script: string;
    args?: string[];
    timeoutMs?: number;
    env?: Record<string, string>;
  },
): Promise<{ code: number; stdout: string; stderr: string }> {
  const deno = [Deno.execPath(), "run", "-A", command.script].concat(
    command.args ?? [],
  ).map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const child = new Deno.Command("unshare", {
    args: ["--net", "sh", "-c", `${setup(addresses)}\nexec ${deno}`],
    // Deno would look for a newer version of itself.
    env: { ...command.env, DENO_NO_UPDATE_CHECK: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(
    () => child.kill("SIGKILL"),
    command.timeoutMs ?? 90_000,
  );
  try {
    const out = await child.output();
    const decode = (b: Uint8Array) => new TextDecoder().decode(b);
    return {
      code: out.code,
      stdout: decode(out.stdout),
      stderr: decode(out.stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}
