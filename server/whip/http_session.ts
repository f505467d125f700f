/**
 * What the WHIP and WHEP routes need of a session, whichever it is.
 *
 * @module
 */

import type { HttpMember } from "./http_member.ts";
import type { SdpFragment } from "./sdp_text.ts";

/** What a PATCH did. */
export type PatchResult =
  | { kind: "candidates" }
  | { kind: "restart"; fragment: string };

/** A WHIP or WHEP session, as its resource URL serves it. */
export interface HttpSession {
  /** The resource id in `Location`: unguessable. */
  readonly id: string;
  readonly group: string;
  /** The bearer token it was created with; later requests must bring it. */
  readonly token: string | undefined;
  readonly member: HttpMember;
  /** The current entity tag (quoted). */
  readonly etag: string;
  readonly closed: boolean;
  /** Applies a trickle-ICE fragment. @throws {HttpError} */
  patch(fragment: SdpFragment): Promise<PatchResult>;
  /** Ends the session (the member leaves); idempotent. */
  close(reason?: string): void;
}
