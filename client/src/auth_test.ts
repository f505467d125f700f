import assert from "node:assert/strict";
import { askAuthServer, joinFailureText } from "./auth.ts";

function fakeFetch(
  res: Response,
): { fetcher: typeof fetch; sent: RequestInit[] } {
  const sent: RequestInit[] = [];
  const fetcher = ((_url: string, init: RequestInit) => {
    sent.push(init);
    return Promise.resolve(res);
  }) as typeof fetch;
  return { fetcher, sent };
}

Deno.test("askAuthServer() returns the JWT of a 200 application/jwt answer", async () => {
  const { fetcher, sent } = fakeFetch(
    new Response("eyJ.abc.def\n", {
      headers: { "Content-Type": "application/jwt" },
    }),
  );
  const a = await askAuthServer("https://auth.example/", {
    location: "https://x/group/g/",
    username: "ann",
    password: "pw",
  }, fetcher);
  assert.deepEqual(a, { kind: "token", token: "eyJ.abc.def" });
  assert.equal(sent[0]?.method, "POST");
  assert.deepEqual(JSON.parse(String(sent[0]?.body)), {
    location: "https://x/group/g/",
    username: "ann",
    password: "pw",
  });
});

Deno.test("askAuthServer() maps 204 to password login and 403 to refusal", async () => {
  const creds = { location: "l", username: "u", password: "p" };
  assert.deepEqual(
    await askAuthServer(
      "a",
      creds,
      fakeFetch(new Response(null, { status: 204 })).fetcher,
    ),
    { kind: "password" },
  );
  assert.deepEqual(
    await askAuthServer(
      "a",
      creds,
      fakeFetch(new Response(null, { status: 403 })).fetcher,
    ),
    { kind: "refused" },
  );
  await assert.rejects(
    askAuthServer(
      "a",
      creds,
      fakeFetch(new Response("x", { status: 500 })).fetcher,
    ),
    /answered 500/,
  );
});

Deno.test("joinFailureText() explains every kind of refusal", () => {
  const fail = (value: string, error = "") => ({
    kind: "fail" as const,
    error,
    value,
  });
  const plain = { withToken: false, locked: false };
  assert.equal(
    joinFailureText(fail("not authorised"), plain),
    "Wrong username or password",
  );
  assert.equal(
    joinFailureText(fail("not authorised"), { withToken: true, locked: false }),
    "This invitation link is not valid",
  );
  assert.equal(
    joinFailureText(fail("Back at 3 pm"), { withToken: false, locked: true }),
    "This group is locked: Back at 3 pm",
  );
  assert.match(joinFailureText(fail("too many users"), plain), /full/);
  assert.match(joinFailureText(fail("token expired"), plain), /expired/);
  assert.match(
    joinFailureText(fail("username required", "need-username"), plain),
    /choose a username/,
  );
  assert.match(
    joinFailureText({
      kind: "redirect",
      error: "",
      value: "https://elsewhere/",
    }, plain),
    /moved/,
  );
});
