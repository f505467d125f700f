/**
 * The login form: group name and description, username and password (or
 * only a username for invitation links), what to publish, and errors.
 *
 * @module
 */

import type { PublishMode } from "../settings.ts";
import { byId } from "./dom.ts";

/** What the user typed. */
export interface Credentials {
  username: string;
  password: string;
  publish: PublishMode;
}

/**
 * Which fields the form asks for: both, only a username (an invitation
 * without one), or neither (an invitation that names its guest).
 */
export type LoginMode = "password" | "username-only" | "invited";

/** The login view. */
export class LoginView {
  readonly #root = byId("login-view", HTMLElement);
  readonly #form = byId("login-form", HTMLFormElement);
  readonly #username = byId("username", HTMLInputElement);
  readonly #password = byId("password", HTMLInputElement);
  readonly #passwordField = byId("password-field", HTMLElement);
  readonly #usernameField = byId("username-field", HTMLElement);
  readonly #note = byId("login-note", HTMLElement);
  readonly #error = byId("login-error", HTMLElement);
  readonly #button = byId("connect-button", HTMLButtonElement);

  /** Calls `onSubmit` with the credentials when the form is sent. */
  constructor(onSubmit: (c: Credentials) => void) {
    this.#form.addEventListener("submit", (e) => {
      e.preventDefault();
      const username = this.#usernameField.hidden
        ? ""
        : this.#username.value.trim();
      if (!username && !this.#usernameField.hidden) {
        this.error("Please enter your name");
        this.#username.setAttribute("aria-invalid", "true");
        this.#username.focus();
        return;
      }
      this.#username.removeAttribute("aria-invalid");
      const publish = new FormData(this.#form).get("publish");
      onSubmit({
        username,
        password: this.#password.value,
        publish: publish === "audio" || publish === "none" ? publish : "both",
      });
    });
  }

  /** Shows the form with the group's title and description. */
  show(
    options: {
      title: string;
      description: string;
      mode: LoginMode;
      username?: string;
      publish?: PublishMode;
      /** A sentence above the fields (who the invitation is for). */
      note?: string;
    },
  ): void {
    byId("login-title", HTMLElement).textContent = options.title;
    byId("login-description", HTMLElement).textContent = options.description;
    this.#passwordField.hidden = options.mode !== "password";
    this.#usernameField.hidden = options.mode === "invited";
    this.#note.textContent = options.note ?? "";
    this.#note.hidden = !options.note;
    if (options.username !== undefined) this.#username.value = options.username;
    if (options.publish) {
      const radio = this.#form.querySelector<HTMLInputElement>(
        `input[name=publish][value=${options.publish}]`,
      );
      if (radio) radio.checked = true;
    }
    this.#root.hidden = false;
    this.busy(false);
    (this.#usernameField.hidden || this.#username.value
      ? (this.#passwordField.hidden ? this.#button : this.#password)
      : this.#username).focus();
  }

  /** Marks the username as refused (taken) and puts the cursor in it. */
  rejectUsername(): void {
    this.#username.setAttribute("aria-invalid", "true");
    this.#username.focus();
    this.#username.select();
  }

  /** Hides the view. */
  hide(): void {
    this.#root.hidden = true;
  }

  /** Disables the button while joining. */
  busy(on: boolean): void {
    this.#button.disabled = on;
    this.#button.textContent = on ? "Joining…" : "Join";
  }

  /** Shows an error under the form (empty clears it). */
  error(text: string): void {
    this.#error.textContent = text;
    if (!text) this.#username.removeAttribute("aria-invalid");
    if (text) this.busy(false);
  }
}
