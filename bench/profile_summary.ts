/**
 * Summarises a V8 `.cpuprofile` (from `deno task bench --profile DIR`) by
 * self time per function, optionally per forwarded packet:
 * `deno run -A bench/profile_summary.ts FILE [--packets N] [--top 25]`.
 *
 * @module
 */

import { parseArgs } from "node:util";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time in µs per "function file:line", largest first. */
export function selfTimes(profile: Profile): [string, number][] {
  const names = new Map<number, string>();
  for (const node of profile.nodes) {
    const f = node.callFrame;
    const file = f.url.split("/").pop() ?? "";
    names.set(
      node.id,
      `${f.functionName || "(anonymous)"} ${file}${
        file ? `:${f.lineNumber + 1}` : ""
      }`,
    );
  }
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const name = names.get(id) ?? "?";
    totals.set(name, (totals.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return [...totals].sort((a, b) => b[1] - a[1]);
}

function main(): void {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      packets: { type: "string" },
      top: { type: "string", default: "25" },
    },
  });
  const file = positionals[0];
  if (file === undefined) throw new TypeError("Missing the .cpuprofile file");
  const profile = JSON.parse(Deno.readTextFileSync(file)) as Profile;
  const rows = selfTimes(profile);
  const busy = rows.filter(([n]) => !n.startsWith("(idle)"))
    .reduce((sum, [, us]) => sum + us, 0);
  const packets = values.packets ? Number(values.packets) : 0;
  console.log(`busy ${(busy / 1000).toFixed(0)} ms (idle excluded)`);
  for (const [name, us] of rows.slice(0, Number(values.top))) {
    if (name.startsWith("(idle)")) continue;
    const share = ((100 * us) / busy).toFixed(1).padStart(5);
    const per = packets > 0
      ? ` ${(us / packets).toFixed(2).padStart(6)} µs/pkt`
      : "";
    console.log(`${share} %${per}  ${name}`);
  }
}

if (import.meta.main) main();
