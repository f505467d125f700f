import { deepStrictEqual, strictEqual } from "node:assert/strict";
import {
  type ConnectionTimeouts,
  ConnectionWatch,
} from "./connection_watch.ts";

const T: ConnectionTimeouts = {
  headerTimeout: 60,
  idleTimeout: 120,
  closeTimeout: 5,
};

Deno.test("a new connection has the header timeout from the accept, however many bytes it sends", () => {
  const w = new ConnectionWatch(T, 1000);
  deepStrictEqual(w.deadline(), { at: 1060, reason: "header timeout" });
  w.fromClient(1030);
  w.fromClient(1050);
  deepStrictEqual(w.deadline(), { at: 1060, reason: "header timeout" });
});

Deno.test("a request in flight has only the idle timeout, counted from the last byte either way", () => {
  const w = new ConnectionWatch(T, 1000);
  w.requestStarted(1010);
  deepStrictEqual(w.deadline(), { at: 1130, reason: "idle timeout" });
  w.fromClient(1020); // the body
  deepStrictEqual(w.deadline(), { at: 1140, reason: "idle timeout" });
  w.fromServer(1030);
  deepStrictEqual(w.deadline(), { at: 1150, reason: "idle timeout" });
});

Deno.test("after the response, a keep-alive connection is idle until the client sends, then a head is due", () => {
  const w = new ConnectionWatch(T, 0);
  w.requestStarted(0);
  w.requestCompleted(10);
  deepStrictEqual(w.deadline(), { at: 130, reason: "idle timeout" });
  w.fromClient(100);
  deepStrictEqual(w.deadline(), { at: 160, reason: "header timeout" });
  // Further bytes of the same head do not move it.
  w.fromClient(150);
  deepStrictEqual(w.deadline(), { at: 160, reason: "header timeout" });
  w.requestStarted(155);
  deepStrictEqual(w.deadline(), { at: 275, reason: "idle timeout" });
});

Deno.test("with requests in flight (HTTP/2), client bytes start no head until the last completes", () => {
  const w = new ConnectionWatch(T, 0);
  w.requestStarted(0);
  w.requestStarted(1);
  w.requestCompleted(10);
  w.fromClient(20);
  deepStrictEqual(w.deadline(), { at: 140, reason: "idle timeout" });
  w.requestCompleted(30);
  w.fromClient(40);
  deepStrictEqual(w.deadline(), { at: 100, reason: "header timeout" });
});

Deno.test("an upgraded connection has no timeout until the server closes, then the close timeout", () => {
  const w = new ConnectionWatch(T, 0);
  w.requestStarted(0);
  w.upgrade();
  strictEqual(w.upgraded, true);
  strictEqual(w.deadline(), null);
  w.requestCompleted(1);
  w.fromClient(1000);
  strictEqual(w.deadline(), null);
  w.closing(2000);
  w.closing(2003); // the first close counts
  deepStrictEqual(w.deadline(), { at: 2005, reason: "close timeout" });
});

Deno.test("the close timeout also bounds a plain connection the server is done with", () => {
  const w = new ConnectionWatch(T, 0);
  w.requestStarted(0);
  w.fromServer(10);
  w.closing(10);
  deepStrictEqual(w.deadline(), { at: 15, reason: "close timeout" });
});

Deno.test("the idle timeout applies to a head when it is the shorter", () => {
  const w = new ConnectionWatch({ ...T, headerTimeout: 500 }, 0);
  deepStrictEqual(w.deadline(), { at: 120, reason: "idle timeout" });
});
