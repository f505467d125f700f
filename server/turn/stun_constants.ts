/**
 * STUN and TURN numbers: message methods and classes, attribute types and
 * error codes (RFC 8489 §18, RFC 8656 §18).
 *
 * @module
 */

/** The fixed value of bytes 4–7 of every STUN message (RFC 8489 §5). */
export const MAGIC_COOKIE = 0x2112a442;

/** STUN header length in bytes. */
export const HEADER_BYTES = 20;

/** Methods (RFC 8489 §18.2, RFC 8656 §18.1). */
export const Method = {
  binding: 0x001,
  allocate: 0x003,
  refresh: 0x004,
  send: 0x006,
  data: 0x007,
  createPermission: 0x008,
  channelBind: 0x009,
} as const;

/** Message classes (RFC 8489 §5). */
export const MessageClass = {
  request: 0,
  indication: 1,
  success: 2,
  error: 3,
} as const;

/** A message class. */
export type MessageClass = typeof MessageClass[keyof typeof MessageClass];

/** Attribute types (RFC 8489 §18.3, RFC 8656 §18.2). */
export const Attr = {
  mappedAddress: 0x0001,
  username: 0x0006,
  messageIntegrity: 0x0008,
  errorCode: 0x0009,
  unknownAttributes: 0x000a,
  channelNumber: 0x000c,
  lifetime: 0x000d,
  xorPeerAddress: 0x0012,
  data: 0x0013,
  realm: 0x0014,
  nonce: 0x0015,
  xorRelayedAddress: 0x0016,
  requestedAddressFamily: 0x0017,
  evenPort: 0x0018,
  requestedTransport: 0x0019,
  dontFragment: 0x001a,
  messageIntegritySha256: 0x001c,
  passwordAlgorithm: 0x001d,
  userhash: 0x001e,
  xorMappedAddress: 0x0020,
  reservationToken: 0x0022,
  additionalAddressFamily: 0x8000,
  addressErrorCode: 0x8001,
  /**
   * The same two in the draft that preceded RFC 8656 (SSODA), still sent by
   * coturn's clients: understood, and answered in kind.
   */
  additionalAddressFamilyDraft: 0x8032,
  addressErrorCodeDraft: 0x8033,
  passwordAlgorithms: 0x8002,
  software: 0x8022,
  fingerprint: 0x8028,
} as const;

/** Error codes used by this server, with their reason phrases. */
export const ErrorCode = {
  badRequest: 400,
  unauthenticated: 401,
  forbidden: 403,
  unknownAttribute: 420,
  allocationMismatch: 437,
  staleNonce: 438,
  addressFamilyNotSupported: 440,
  wrongCredentials: 441,
  unsupportedTransport: 442,
  peerAddressFamilyMismatch: 443,
  allocationQuotaReached: 486,
  serverError: 500,
  insufficientCapacity: 508,
} as const;

/** An error code. */
export type ErrorCode = typeof ErrorCode[keyof typeof ErrorCode];

/** Short reason phrases (kept short: error responses must stay small). */
export const REASONS: Readonly<Record<ErrorCode, string>> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  420: "Unknown Attribute",
  437: "Allocation Mismatch",
  438: "Stale Nonce",
  440: "Address Family not Supported",
  441: "Wrong Credentials",
  442: "Unsupported Transport Protocol",
  443: "Peer Address Family Mismatch",
  486: "Allocation Quota Reached",
  500: "Server Error",
  508: "Insufficient Capacity",
};

/** Attributes this server understands in the comprehension-required range. */
export const KNOWN_REQUIRED: ReadonlySet<number> = new Set([
  Attr.mappedAddress,
  Attr.username,
  Attr.messageIntegrity,
  Attr.errorCode,
  Attr.unknownAttributes,
  Attr.channelNumber,
  Attr.lifetime,
  Attr.xorPeerAddress,
  Attr.data,
  Attr.realm,
  Attr.nonce,
  Attr.xorRelayedAddress,
  Attr.requestedAddressFamily,
  Attr.evenPort,
  Attr.requestedTransport,
  Attr.xorMappedAddress,
  Attr.reservationToken,
  // Understood as "not supported": the handlers answer for them.
  Attr.dontFragment,
]);

/** The IANA protocol number of UDP, in REQUESTED-TRANSPORT. */
export const PROTOCOL_UDP = 17;
