/**
 * The group page's entry point: reads the group's status, runs the login
 * (password, `?token=` invitation, authServer, authPortal), joins, and
 * reconnects by itself when the connection drops.
 *
 * @module
 */

import { askAuthServer, fetchStatus, joinFailureText } from "./auth.ts";
import { Conference, type EndReason } from "./conference.ts";
import {
  type GroupStatus,
  type JoinRequest,
  ServerConnection,
} from "./protocol.ts";
import { type PublishMode, SettingsStore } from "./settings.ts";
import { byId } from "./ui/dom.ts";
import { type Credentials, type LoginMode, LoginView } from "./ui/login.ts";
import { toast } from "./ui/toast.ts";

/** How we authenticate, remembered for reconnections. */
type Login =
  | { kind: "password"; username: string; password: string }
  | { kind: "token"; token: string; username?: string }
  | { kind: "authServer"; username: string; password: string };

// Back-off between reconnection attempts: quick at first (a blip), then
// patient (a restarting server), never more than 30 s.
const RETRY_DELAYS_MS = [1000, 2000, 4000, 8000, 15000, 30000];

function groupFromPath(path: string): string {
  const m = /^\/group\/(.+?)\/?$/.exec(path);
  if (!m?.[1]) return "";
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return m[1];
  }
}

class App {
  readonly #group: string;
  readonly #token: string | null;
  readonly #store = new SettingsStore(globalThis.localStorage ?? null);
  readonly #login: LoginView;
  #status: GroupStatus = {};
  #conference: Conference | null = null;
  #credentials: Login | null = null;
  #publish: PublishMode = "both";
  #muted = false;
  #retry = 0;
  /** The username an invitation imposes, learnt by the probe. */
  #invitedAs = "";
  /** The `error` of the last refused join (`duplicate-username`…). */
  #lastFailure = "";

  constructor() {
    this.#group = groupFromPath(location.pathname);
    this.#token = new URLSearchParams(location.search).get("token");
    this.#login = new LoginView((c) => this.#submit(c));
    addEventListener("beforeunload", (e) => {
      // Leaving by accident would cut everyone off from our camera.
      if (this.#conference?.publishing) e.preventDefault();
    });
  }

  async start(): Promise<void> {
    try {
      this.#status = await fetchStatus(".status");
    } catch (e) {
      this.#showLogin({ error: e instanceof Error ? e.message : String(e) });
      return;
    }
    if (this.#status.authPortal && !this.#token) {
      location.href = this.#status.authPortal;
      return;
    }
    if (this.#token) await this.#probeToken(this.#token);
    else this.#showLogin({});
  }

  get #title(): string {
    return this.#status.displayName || this.#status.name || this.#group ||
      "Nereid";
  }

  get #endpoint(): string {
    if (this.#status.endpoint) return this.#status.endpoint;
    return `${
      location.protocol === "https:" ? "wss:" : "ws:"
    }//${location.host}/ws`;
  }

  #showLogin(
    options: { error?: string; mode?: LoginMode; note?: string },
  ): void {
    byId("conference-view", HTMLElement).hidden = true;
    const mode = options.mode ?? this.#loginMode;
    this.#login.show({
      title: this.#title,
      description: this.#status.description ?? "",
      mode,
      publish: this.#store.value.publish,
      ...(options.note ? { note: options.note } : {}),
      ...(this.#credentials && "username" in this.#credentials &&
          this.#credentials.username && mode !== "invited"
        ? { username: this.#credentials.username }
        : {}),
    });
    this.#login.error(options.error ?? "");
  }

  /** What the form asks once we know what the invitation needs. */
  get #loginMode(): LoginMode {
    if (!this.#token) return "password";
    return this.#invitedAs ? "invited" : "username-only";
  }

  /**
   * Joins with the token but no username, as a probe (Galène's client does
   * the same with a `?token=` link), only to learn what the form must ask:
   * nothing when the token names its guest, a username on `need-username`.
   */
  async #probeToken(token: string): Promise<void> {
    const conn = new ServerConnection({ url: this.#endpoint });
    try {
      await conn.connect();
      const joined = await conn.join({ group: this.#group, token });
      if (joined.kind === "join") {
        this.#invitedAs = joined.username;
        this.#showLogin({
          note: `You are invited as ${joined.username}.`,
        });
      } else if (joined.error === "need-username") {
        this.#showLogin({
          note: "You are invited. Choose the name the others will see.",
        });
      } else {
        this.#showLogin({
          error: joinFailureText(joined, { withToken: true, locked: false }),
        });
      }
    } catch (e) {
      this.#showLogin({ error: e instanceof Error ? e.message : String(e) });
    } finally {
      conn.close();
    }
  }

  async #submit(c: Credentials): Promise<void> {
    this.#login.busy(true);
    this.#login.error("");
    this.#publish = c.publish;
    this.#store.update({
      publish: c.publish === "none" ? this.#store.value.publish : c.publish,
    });
    this.#credentials = this.#token
      ? {
        kind: "token",
        token: this.#token,
        ...(c.username ? { username: c.username } : {}),
      }
      : this.#status.authServer
      ? { kind: "authServer", username: c.username, password: c.password }
      : { kind: "password", username: c.username, password: c.password };
    const error = await this.#join();
    if (error === null) return;
    this.#login.error(error);
    if (this.#lastFailure === "duplicate-username") {
      this.#login.rejectUsername();
    }
  }

  async #request(login: Login): Promise<JoinRequest | string> {
    const group = this.#group;
    if (login.kind === "password") {
      return { group, username: login.username, password: login.password };
    }
    if (login.kind === "token") {
      return {
        group,
        token: login.token,
        ...(login.username ? { username: login.username } : {}),
      };
    }
    const answer = await askAuthServer(this.#status.authServer ?? "", {
      location: this.#status.location ??
        `${location.origin}${location.pathname}`,
      username: login.username,
      password: login.password,
    });
    if (answer.kind === "refused") {
      return "The authentication server refused these credentials";
    }
    if (answer.kind === "password") {
      return { group, username: login.username, password: login.password };
    }
    return { group, username: login.username, token: answer.token };
  }

  /** Connects and joins; returns an error text, or null once joined. */
  async #join(): Promise<string | null> {
    const login = this.#credentials;
    this.#lastFailure = "";
    if (!login) return "Nothing to join with";
    const conn = new ServerConnection({ url: this.#endpoint });
    try {
      const request = await this.#request(login);
      if (typeof request === "string") return request;
      await conn.connect();
      const joined = await conn.join(request);
      if (joined.kind === "redirect" && joined.value) {
        location.href = joined.value;
        return joinFailureText(joined, { withToken: false, locked: false });
      }
      if (joined.kind !== "join") {
        conn.close();
        this.#lastFailure = joined.error;
        let locked = false;
        try {
          locked = (await fetchStatus(".status")).locked === true;
        } catch {
          // Only refines the message.
        }
        return joinFailureText(joined, {
          withToken: login.kind === "token",
          locked,
        });
      }
      this.#enter(conn);
      return null;
    } catch (e) {
      conn.close();
      return e instanceof Error ? e.message : String(e);
    }
  }

  #enter(conn: ServerConnection): void {
    this.#retry = 0;
    this.#login.hide();
    byId("conference-view", HTMLElement).hidden = false;
    byId("connection-banner", HTMLElement).hidden = true;
    this.#conference = new Conference({
      conn,
      store: this.#store,
      publish: this.#publish,
      muted: this.#muted,
      onEnd: (reason, message) => this.#onEnd(reason, message),
    });
  }

  #onEnd(reason: EndReason, message: string): void {
    const conf = this.#conference;
    this.#conference = null;
    if (conf) {
      this.#publish = conf.publishMode;
      this.#muted = conf.muted;
    }
    if (reason === "lost") {
      this.#reconnect(message);
      return;
    }
    this.#showLogin({ error: reason === "kicked" ? message : "" });
    if (reason === "left") toast("You left the group");
  }

  #reconnect(why: string): void {
    const banner = byId("connection-banner", HTMLElement);
    const delay =
      RETRY_DELAYS_MS[Math.min(this.#retry, RETRY_DELAYS_MS.length - 1)] ??
        30000;
    this.#retry++;
    banner.hidden = false;
    banner.textContent = `${why}. Reconnecting in ${
      Math.round(delay / 1000)
    } s…`;
    setTimeout(async () => {
      banner.textContent = "Reconnecting…";
      const error = await this.#join();
      if (error === null) {
        toast("Reconnected");
        return;
      }
      // A refusal (kicked, locked, wrong password now) will not fix itself.
      if (/^(Wrong|This|The group|Nobody|The authentication)/.test(error)) {
        banner.hidden = true;
        this.#showLogin({ error });
      } else {
        this.#reconnect("Still no connection");
      }
    }, delay);
  }
}

new App().start().catch((e) => console.error("Nereid:", e));
