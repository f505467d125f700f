import assert from "node:assert/strict";
import { pbkdf2Sync } from "node:crypto";
import {
  checkPassword,
  hashPassword,
  parsePassword,
  type Password,
  serializePassword,
} from "./password.ts";
import { Semaphore } from "./semaphore.ts";

// Produced by libxcrypt (glibc crypt(3)), not by bcryptjs.
const BCRYPT_VECTORS: Array<[string, string]> = [
  [
    "night-watch",
    "$2a$05$abcdefghijklmnopqrstuuMCWpOm6m5W0mdrCtaLoqVmEsc6ZvQv6",
  ],
  [
    "night-watch",
    "$2b$06$Nereid0123456789abcdeuCv4Oo/m.xYspC118NyldLtYSGQ52M/G",
  ],
  ["", "$2b$04$Nereid0123456789abcdeuN/XQbYkVQv80MP7FmJimOTqSx8.kTsi"],
  ["carrot", "$2y$05$Nereid0123456789abcdeucWrEAcVqD1/WxF8YZTF51mwSDQ.6iT."],
];

Deno.test("parsePassword() reads a JSON string as a plain password", () => {
  assert.deepEqual(parsePassword("secret", "w"), {
    type: "plain",
    key: "secret",
  });
});

Deno.test("parsePassword() treats a missing or empty type as never matching", async () => {
  for (const value of [{}, { type: "" }, { key: "x" }, null]) {
    const password = parsePassword(value, "w");
    assert.deepEqual(password, { type: "none" });
    assert.equal(await checkPassword(password, ""), false);
    assert.equal(await checkPassword(password, "x"), false);
  }
});

Deno.test("parsePassword() names the location and key of a bad field", () => {
  const where = `g.json: "users"["bob"]["password"]`;
  const cases: Array<[unknown, RegExp]> = [
    [
      { type: "pbkdf2", hash: "sha-1", key: "00", salt: "00", iterations: 1 },
      /\["hash"\]/,
    ],
    [
      { type: "pbkdf2", hash: "sha-256", key: "xyz", salt: "", iterations: 1 },
      /\["key"\]/,
    ],
    [
      { type: "pbkdf2", hash: "sha-256", key: "00", salt: "0", iterations: 1 },
      /\["salt"\]/,
    ],
    [
      { type: "pbkdf2", hash: "sha-256", key: "00", salt: "", iterations: 0 },
      /\["iterations"\]/,
    ],
    [{ type: "bcrypt", key: "not a hash" }, /\["key"\] is not a bcrypt hash/],
    [{ type: "plain" }, /\["key"\] is required/],
    [{ type: "plain", key: 7 }, /\["key"\] must be a string/],
    [{ type: "md5", key: "x" }, /\["type"\] is unknown password type "md5"/],
    [{ type: "plain", key: "x", colour: "red" }, /unknown key "colour"/],
    [42, /must be a JSON object/],
  ];
  for (const [value, message] of cases) {
    assert.throws(() => parsePassword(value, where), (error: unknown) => {
      assert.ok(error instanceof TypeError);
      assert.ok(error.message.startsWith(where), error.message);
      assert.match(error.message, message);
      return true;
    });
  }
});

Deno.test("checkPassword() compares plain passwords exactly", async () => {
  const password = parsePassword("sésame", "w");
  assert.equal(await checkPassword(password, "sésame"), true);
  assert.equal(await checkPassword(password, "sesame"), false);
  assert.equal(await checkPassword(password, "sésame "), false);
  assert.equal(await checkPassword(password, ""), false);
  assert.equal(await checkPassword(parsePassword("", "w"), ""), true);
});

Deno.test("checkPassword() lets a wildcard password match anything", async () => {
  const password = parsePassword({ type: "wildcard" }, "w");
  assert.equal(await checkPassword(password, ""), true);
  assert.equal(await checkPassword(password, "whatever"), true);
});

Deno.test("checkPassword() verifies a PBKDF2 hash computed by node:crypto", async () => {
  const salt = Buffer.from("5ca1ab1e0ddba115", "hex");
  for (const length of [32, 20, 64]) {
    const key = pbkdf2Sync("carrot", salt, 1000, length, "sha256");
    const password = parsePassword({
      type: "pbkdf2",
      hash: "sha-256",
      key: key.toString("hex").toUpperCase(),
      salt: salt.toString("hex"),
      iterations: 1000,
    }, "w");
    assert.equal(await checkPassword(password, "carrot"), true);
    assert.equal(await checkPassword(password, "Carrot"), false);
  }
});

Deno.test("checkPassword() verifies bcrypt hashes made by libxcrypt", async () => {
  for (const [cleartext, key] of BCRYPT_VECTORS) {
    const password = parsePassword({ type: "bcrypt", key }, "w");
    assert.equal(await checkPassword(password, cleartext), true, key);
    assert.equal(await checkPassword(password, cleartext + "x"), false, key);
  }
});

Deno.test("hashPassword() with defaults produces what galenectl would", async () => {
  const pbkdf2 = await hashPassword("vimes", { type: "pbkdf2" });
  assert.equal(pbkdf2.type, "pbkdf2");
  if (pbkdf2.type !== "pbkdf2") return;
  assert.equal(pbkdf2.iterations, 4096);
  assert.equal(pbkdf2.key.length, 64);
  assert.equal(pbkdf2.salt.length, 16);
  const expected = pbkdf2Sync(
    "vimes",
    Buffer.from(pbkdf2.salt, "hex"),
    4096,
    32,
    "sha256",
  );
  assert.equal(pbkdf2.key, expected.toString("hex"));

  const bcrypt = await hashPassword("vimes", { type: "bcrypt" });
  assert.equal(bcrypt.type, "bcrypt");
  if (bcrypt.type !== "bcrypt") return;
  assert.match(bcrypt.key, /^\$2[ab]\$08\$/);
  assert.equal(await checkPassword(bcrypt, "vimes"), true);
  assert.equal(await checkPassword(bcrypt, "vetinari"), false);
});

Deno.test("hashPassword() honours lengths and survives a JSON round trip", async () => {
  const hashed = await hashPassword("x", {
    type: "pbkdf2",
    iterations: 10,
    keyLength: 16,
    saltLength: 4,
  });
  const reread = parsePassword(
    JSON.parse(JSON.stringify(serializePassword(hashed))),
    "w",
  );
  assert.deepEqual(reread, hashed);
  assert.equal(await checkPassword(reread, "x"), true);
  assert.deepEqual(await hashPassword("x", { type: "wildcard" }), {
    type: "wildcard",
  });
});

Deno.test("hashPassword() rejects out-of-range parameters", async () => {
  await assert.rejects(
    hashPassword("x", { type: "bcrypt", cost: 3 }),
    RangeError,
  );
  await assert.rejects(
    hashPassword("x", { type: "pbkdf2", iterations: 0 }),
    RangeError,
  );
});

Deno.test("serializePassword() writes plain as a string and omits none", () => {
  const cases: Array<[Password, unknown]> = [
    [{ type: "plain", key: "k" }, "k"],
    [{ type: "none" }, undefined],
    [{ type: "wildcard" }, { type: "wildcard" }],
    [{ type: "bcrypt", key: "$2b$..." }, { type: "bcrypt", key: "$2b$..." }],
  ];
  for (const [password, json] of cases) {
    assert.deepEqual(serializePassword(password), json);
  }
});

Deno.test("checkPassword() runs at most the limiter's count of hashes at once", async () => {
  const limiter = new Semaphore(2);
  const password = parsePassword({
    type: "pbkdf2",
    hash: "sha-256",
    key: "00".repeat(32),
    salt: "",
    iterations: 20000,
  }, "w");
  let peak = 0;
  const checks = Array.from({ length: 6 }, async () => {
    const result = checkPassword(password, "x", { limiter });
    peak = Math.max(peak, limiter.active);
    return await result;
  });
  assert.deepEqual(await Promise.all(checks), Array(6).fill(false));
  assert.equal(peak, 2);
  assert.equal(limiter.waiting, 0);
});
