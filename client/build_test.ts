import assert from "node:assert/strict";
import { bundleIsFresh } from "./build.ts";

Deno.test("client/app.js is what client/src/ builds (run client/build.ts if not)", async () => {
  assert.ok(
    await bundleIsFresh(),
    "client/app.js is stale: run `deno run -A client/build.ts`",
  );
});
