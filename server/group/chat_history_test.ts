import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { ChatHistory } from "./chat_history.ts";

function entry(id: string, source: string, time: number) {
  return { id, source, username: source, time, kind: "", value: id };
}

Deno.test("ChatHistory keeps only the newest 50 entries", () => {
  const h = new ChatHistory();
  for (let i = 0; i < 60; i++) h.add(entry(`m${i}`, "a", i));
  const e = h.entries(100, 1000);
  assertEquals(e.length, 50);
  assertEquals(e[0]?.id, "m10");
});

Deno.test("ChatHistory drops entries older than the maximum age", () => {
  const h = new ChatHistory();
  h.add(entry("old", "a", 0));
  h.add(entry("new", "a", 5000));
  assertEquals(h.entries(6000, 2000).map((e) => e.id), ["new"]);
});

Deno.test("ChatHistory clears one message, one user's messages, or everything", () => {
  const h = new ChatHistory();
  h.add(entry("1", "a", 1));
  h.add(entry("2", "a", 2));
  h.add(entry("3", "b", 3));
  assertEquals(h.clear({ userId: "a", id: "2" }), 1);
  assertEquals(h.entries(3, 10).map((e) => e.id), ["1", "3"]);
  assertEquals(h.clear({ userId: "a" }), 1);
  assertEquals(h.entries(3, 10).map((e) => e.id), ["3"]);
  assertEquals(h.clear({ all: true }), 1);
  assertEquals(h.entries(3, 10).length, 0);
});

Deno.test("ChatHistory drops the oldest entries beyond its byte bound", () => {
  const h = new ChatHistory({ maxBytes: 1000 });
  const big = (id: string) => ({
    ...entry(id, "a", 1),
    value: "x".repeat(300),
  });
  for (const id of ["1", "2", "3", "4"]) h.add(big(id));
  assertEquals(h.entries(1, 10).map((e) => e.id), ["3", "4"]);
  const wire = h.entries(1, 10).map((e) => JSON.stringify(e).length + 64);
  assertEquals(h.bytes, wire[0]! + wire[1]!);
  // An entry heavier than the whole bound is not kept, and empties nothing
  // it did not have to.
  h.add({ ...entry("huge", "a", 1), value: "y".repeat(2000) });
  assertEquals(h.entries(1, 10).length, 0);
  assertEquals(h.bytes, 0);
});

Deno.test("ChatHistory weighs an entry as its JSON, escapes and UTF-8 included", () => {
  const h = new ChatHistory({ maxBytes: 10_000 });
  h.add({ ...entry("a", "a", 1), value: "\u0001".repeat(1000) });
  const escaped = new ChatHistory({ maxBytes: 10_000 });
  escaped.add({ ...entry("a", "a", 1), value: "€".repeat(1000) });
  // "\u0001" is six bytes in JSON, "€" three in UTF-8.
  assertEquals(h.bytes - escaped.bytes, 3000);
});

Deno.test("ChatHistory keeps its byte count through expiry and clearing", () => {
  const h = new ChatHistory();
  h.add(entry("1", "a", 1000));
  h.add(entry("2", "b", 5000));
  h.add(entry("3", "a", 5000));
  const one = h.bytes / 3;
  h.entries(6000, 2000);
  assertEquals(h.bytes, 2 * one);
  h.clear({ userId: "a" });
  assertEquals(h.bytes, one);
  h.clear({ all: true });
  assertEquals(h.bytes, 0);
});
