import { deepStrictEqual, strictEqual } from "node:assert/strict";
import {
  isSafeRecordingName,
  recordingBaseName,
  recordingCandidates,
} from "./recording_names.ts";

Deno.test("recordingBaseName() stamps local time to the millisecond", () => {
  strictEqual(
    recordingBaseName(new Date(2024, 0, 2, 3, 4, 5, 6)),
    "2024-01-02T03:04:05.006",
  );
});

Deno.test("recordingBaseName() spells out slashes and backslashes of the username", () => {
  strictEqual(
    recordingBaseName(new Date(2024, 11, 31, 23, 59, 59, 999), "a/b\\c"),
    "2024-12-31T23:59:59.999-a-slash-b-backslash-c",
  );
});

Deno.test("recordingCandidates() tries the plain name then -01 to -99", () => {
  const names = [...recordingCandidates("x", "webm")];
  strictEqual(names.length, 100);
  deepStrictEqual(names.slice(0, 3), ["x.webm", "x-01.webm", "x-02.webm"]);
  strictEqual(names[99], "x-99.webm");
});

Deno.test("isSafeRecordingName() refuses paths, parents and hidden files", () => {
  strictEqual(isSafeRecordingName("2024-01-02T03:04:05.006-bob.webm"), true);
  for (const bad of ["", ".hidden", "a/b", "a\\b", "..", "a..b", "x\0"]) {
    strictEqual(isSafeRecordingName(bad), false, bad);
  }
});

Deno.test("recordingBaseName() cuts a long username so that every candidate is a valid file name", () => {
  const base = recordingBaseName(new Date(2024, 0, 2), "€/".repeat(128));
  const last = [...recordingCandidates(base, "webm")].at(-1)!;
  strictEqual(new TextEncoder().encode(last).length <= 255, true);
  strictEqual(isSafeRecordingName(last), true);
  strictEqual(base.startsWith("2024-01-02T00:00:00.000-€-slash-€"), true);
});

Deno.test("isSafeRecordingName() refuses names longer than a file name can be", () => {
  strictEqual(isSafeRecordingName("a".repeat(255)), true);
  strictEqual(isSafeRecordingName("a".repeat(256)), false);
  strictEqual(isSafeRecordingName("é".repeat(128)), false);
});
