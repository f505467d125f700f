import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { parseClientMessage, ProtocolError } from "./message.ts";

Deno.test("parseClientMessage reads a handshake with and without an id", () => {
  deepStrictEqual(
    parseClientMessage('{"type":"handshake","version":["2"],"id":"abc"}'),
    { type: "handshake", version: ["2"], id: "abc" },
  );
  deepStrictEqual(parseClientMessage('{"type":"handshake"}'), {
    type: "handshake",
    version: [],
  });
});

Deno.test("parseClientMessage ignores unknown fields, as a Go decoder would", () => {
  deepStrictEqual(parseClientMessage('{"type":"ping","extra":1}'), {
    type: "ping",
  });
});

Deno.test("parseClientMessage gives chat defaults and keeps only what was sent", () => {
  deepStrictEqual(
    parseClientMessage(
      '{"type":"chat","source":"a","username":"u","value":"hi","dest":""}',
    ),
    {
      type: "chat",
      kind: "",
      value: "hi",
      noecho: false,
      source: "a",
      username: "u",
    },
  );
});

Deno.test("parseClientMessage refuses invalid JSON, non-objects and unknown types", () => {
  throws(() => parseClientMessage("{"), ProtocolError);
  throws(() => parseClientMessage("[1]"), ProtocolError);
  throws(() => parseClientMessage('{"kind":"x"}'), /"type" is missing/);
  throws(
    () => parseClientMessage('{"type":"nope"}'),
    /Unexpected message type/,
  );
  throws(() => parseClientMessage('{"type":"toString"}'), ProtocolError);
});

Deno.test("parseClientMessage names a missing or wrong-typed field", () => {
  throws(() => parseClientMessage('{"type":"join","kind":"join"}'), /"group"/);
  throws(
    () => parseClientMessage('{"type":"join","kind":"join","group":3}'),
    /"group" must be a string/,
  );
  throws(
    () => parseClientMessage('{"type":"join","kind":"dance","group":"g"}'),
    /Unknown join kind/,
  );
  throws(
    () => parseClientMessage('{"type":"chat","value":5}'),
    /"value" of a chat message/,
  );
  throws(
    () => parseClientMessage('{"type":"request","request":{"":"audio"}}'),
    /"request"/,
  );
  throws(
    () =>
      parseClientMessage('{"type":"ice","id":"x","candidate":{"candidate":1}}'),
    /ICE candidate/,
  );
});

Deno.test("parseClientMessage reads requestStream null as a revert to the default", () => {
  const m = parseClientMessage(
    '{"type":"requestStream","id":"s","request":null}',
  );
  strictEqual(m.type === "requestStream" && m.request, null);
});
