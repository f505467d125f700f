import assert from "node:assert/strict";
import { flagsHelp, parseCtlFlags, UsageError } from "./ctl_flags.ts";

const SPECS = {
  group: { type: "string", default: "", help: "group" },
  l: { type: "bool", default: false, help: "long" },
  cost: { type: "int", default: 8, help: "cost" },
} as const;

Deno.test("parseCtlFlags() reads Go-style flags and stops at the first argument", () => {
  const parsed = parseCtlFlags(
    ["--group=a/b", "-l", "-cost", "10", "x*", "-l"],
    SPECS,
  );
  assert.deepEqual(parsed.values, { group: "a/b", l: true, cost: 10 });
  assert.deepEqual([...parsed.given].sort(), ["cost", "group", "l"]);
  assert.deepEqual(parsed.rest, ["x*", "-l"]);
  assert.equal(parsed.help, false);
});

Deno.test("parseCtlFlags() tells an empty value from an absent flag", () => {
  const parsed = parseCtlFlags(["-group", ""], SPECS);
  assert.equal(parsed.values.group, "");
  assert.ok(parsed.given.has("group"));
  assert.ok(!parseCtlFlags([], SPECS).given.has("group"));
});

Deno.test("parseCtlFlags() accepts -l=false, -h and --help", () => {
  assert.equal(parseCtlFlags(["-l=false"], SPECS).values.l, false);
  assert.equal(parseCtlFlags(["-h"], SPECS).help, true);
  assert.equal(parseCtlFlags(["--help"], SPECS).help, true);
});

Deno.test("parseCtlFlags() refuses unknown flags, missing values and bad numbers", () => {
  assert.throws(() => parseCtlFlags(["-nope"], SPECS), UsageError);
  assert.throws(() => parseCtlFlags(["-group"], SPECS), UsageError);
  assert.throws(() => parseCtlFlags(["-cost", "ten"], SPECS), UsageError);
  assert.throws(() => parseCtlFlags(["-l=maybe"], SPECS), UsageError);
});

Deno.test("flagsHelp() lists each flag with its default", () => {
  assert.match(flagsHelp(SPECS), /-cost int\n\s+cost \(default 8\)/);
});
