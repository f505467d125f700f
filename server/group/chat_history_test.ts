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
