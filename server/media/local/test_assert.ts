/**
 * The test assertions now live in tests/support/assert.ts. This re-export
 * stays only for the unit tests of server/turn/ and dtls_retransmission,
 * which other branches are rewriting; once merged, point their imports at
 * tests/support/assert.ts and delete this file.
 *
 * @module
 */

export { assert, assertEquals } from "../../../tests/support/assert.ts";
