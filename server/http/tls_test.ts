import { loadOrCreateCertificate } from "./tls.ts";
import { join } from "node:path";

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

async function rejects(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof Error) return err;
    throw new Error(`Rejected with a non-Error: ${String(err)}`);
  }
  throw new Error("Expected the promise to reject");
}

Deno.test("a generated certificate serves real HTTPS that a client trusting it accepts", async () => {
  const dir = await Deno.makeTempDir();
  const dataDir = join(dir, "data"); // does not exist yet
  try {
    const logs: string[] = [];
    const pair = await loadOrCreateCertificate(dataDir, {
      hostnames: ["nereid.test"],
      log: (m) => logs.push(m),
    });
    assert(pair.generated, "first call should generate");
    assert(logs.length === 1 && logs[0]?.includes("nereid.test"), "logged");
    const keyMode = (await Deno.stat(join(dataDir, "key.pem"))).mode;
    assert(keyMode !== null && (keyMode & 0o777) === 0o600, "key mode 0600");

    const server = Deno.serve({
      cert: pair.cert,
      key: pair.key,
      port: 0,
      hostname: "127.0.0.1",
      onListen: () => {},
    }, () => new Response("hello over tls"));
    const client = Deno.createHttpClient({ caCerts: [pair.cert] });
    try {
      for (const host of ["localhost", "127.0.0.1"]) {
        const res = await fetch(`https://${host}:${server.addr.port}/`, {
          client,
        });
        assert(res.status === 200, `status from ${host}`);
        assert(await res.text() === "hello over tls", `body from ${host}`);
      }
    } finally {
      client.close();
      await server.shutdown();
    }

    const again = await loadOrCreateCertificate(dataDir);
    assert(!again.generated, "second call should reuse the files");
    assert(again.cert === pair.cert && again.key === pair.key, "same pair");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a certificate without its key is a clear error naming the missing file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { cert } = await loadOrCreateCertificate(dir);
    await Deno.remove(join(dir, "key.pem"));
    const err = await rejects(loadOrCreateCertificate(dir));
    assert(err.message.includes("key.pem"), err.message);
    assert(await Deno.readTextFile(join(dir, "cert.pem")) === cert, "kept");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a key without its certificate is a clear error naming the missing file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "key.pem"), "whatever");
    const err = await rejects(loadOrCreateCertificate(dir));
    assert(err.message.includes("cert.pem"), err.message);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("files that are not PEM are rejected with the file's name", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "key.pem"), "not a key");
    await Deno.writeTextFile(join(dir, "cert.pem"), "not a cert");
    const err = await rejects(loadOrCreateCertificate(dir));
    assert(err.message.includes("cert.pem"), err.message);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a host name that cannot go in a certificate is refused by name", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const err = await rejects(
      loadOrCreateCertificate(dir, { hostnames: ["bad name;"] }),
    );
    assert(err instanceof RangeError, "RangeError");
    assert(err.message.includes('"bad name;"'), err.message);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
