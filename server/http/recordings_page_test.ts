import { ok, strictEqual } from "node:assert/strict";
import {
  encodeGroupPath,
  formatSize,
  indexPage,
  listingPage,
} from "./recordings_page.ts";

Deno.test("formatSize() writes bytes, then kB, MB, GB with three digits", () => {
  const cases: Array<[number, string]> = [
    [0, "0 B"],
    [999, "999 B"],
    [1000, "1.00 kB"],
    [45_600, "45.6 kB"],
    [999_499, "999 kB"],
    [999_500, "1.00 MB"],
    [1_534_000, "1.53 MB"],
    [12_345_678_901, "12.3 GB"],
    [5e15, "5000 TB"],
  ];
  for (const [bytes, text] of cases) strictEqual(formatSize(bytes), text);
});

Deno.test("encodeGroupPath() encodes each part and keeps the slashes", () => {
  strictEqual(encodeGroupPath("a/b c/#?"), "a/b%20c/%23%3F");
});

Deno.test("the pages escape names and files, and say when there is nothing", () => {
  const html = listingPage("<g>", [
    { name: '"x".webm', size: 1, mtime: new Date(0) },
  ]);
  ok(!html.includes("<g>") && html.includes("&#60;g&#62;"));
  ok(html.includes('value="&#34;x&#34;.webm"'));
  ok(html.includes('<time datetime="1970-01-01T00:00:00.000Z">'));
  ok(listingPage("g", []).includes("There are no recordings in this group."));
  ok(indexPage("<bad>").includes("&#60;bad&#62;"));
  ok(indexPage("e").includes('aria-invalid="true"'));
});
