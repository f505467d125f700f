import { assertEquals } from "../../tests/support/assert.ts";
import { CredentialRenewal, RENEW_EVERY_MS } from "./credential_renewal.ts";

Deno.test("renewal runs every 12 h of the clock, only while credentials are time-limited", () => {
  let expiring = true;
  const renewedAt: number[] = [];
  const logs: string[] = [];
  const r = new CredentialRenewal({
    now: 0,
    expiring: () => expiring,
    renew: () => (renewedAt.push(1), 3),
    log: (m) => logs.push(m),
  });
  r.check(RENEW_EVERY_MS - 1);
  assertEquals(renewedAt.length, 0);
  r.check(RENEW_EVERY_MS);
  r.check(RENEW_EVERY_MS + 1000);
  assertEquals(renewedAt.length, 1);
  assertEquals(logs, ["ICE credentials renewed for 3 client(s)"]);
  expiring = false;
  r.check(2 * RENEW_EVERY_MS);
  assertEquals(renewedAt.length, 1);
  expiring = true;
  r.check(3 * RENEW_EVERY_MS - 1);
  assertEquals(renewedAt.length, 1);
  r.check(3 * RENEW_EVERY_MS);
  assertEquals(renewedAt.length, 2);
});
