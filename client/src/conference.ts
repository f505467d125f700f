/**
 * One joined session: wires the connection to streams, our publisher, file
 * transfers and the interface pieces (top bar, grid, members, chat). The
 * app creates one per successful join and disposes of it when the socket
 * goes.
 *
 * @module
 */

import { runCommandLine } from "./command_context.ts";
import { FileTransfers } from "./file_transfer.ts";
import {
  handRaised,
  isRecording,
  memberCount,
  mutedUserIds,
} from "./members.ts";
import { messageContext } from "./message_context.ts";
import type { ServerConnection } from "./protocol.ts";
import { Publisher } from "./publisher.ts";
import { relayTestText, runRelayTest } from "./relay_check.ts";
import {
  type PublishMode,
  requestFor,
  type Settings,
  type SettingsStore,
} from "./settings.ts";
import { Stage } from "./stage.ts";
import { StreamManager } from "./streams.ts";
import {
  openMessageMenu,
  openUserMenu,
  type SessionMenuDeps,
} from "./session_menus.ts";
import { handleUserMessage } from "./user_messages.ts";
import { ChatPane } from "./ui/chat.ts";
import { byId } from "./ui/dom.ts";
import { SideMenu } from "./ui/side_menu.ts";
import { toast } from "./ui/toast.ts";
import { TopBar } from "./ui/top_bar.ts";
import { TransferCards } from "./ui/transfers.ts";
import { UserList } from "./ui/user_list.ts";

/** Why a conference ended. */
export type EndReason = "left" | "kicked" | "lost";

/** Options of {@link Conference}. */
export interface ConferenceOptions {
  conn: ServerConnection;
  store: SettingsStore;
  /** Turn the camera/microphone on at once (login choice or reconnect). */
  publish: PublishMode;
  /** Start muted (kept across reconnects). */
  muted: boolean;
  /** The socket closed; `message` is for the user. */
  onEnd: (reason: EndReason, message: string) => void;
}

/** A joined session and its interface. */
export class Conference {
  readonly #conn: ServerConnection;
  readonly #store: SettingsStore;
  readonly #streams: StreamManager;
  readonly #publisher: Publisher;
  readonly #transfers: FileTransfers;
  readonly #stage: Stage;
  readonly #users: UserList;
  readonly #chat: ChatPane;
  readonly #bar: TopBar;
  readonly #menu: SideMenu;
  readonly #offs: (() => void)[] = [];
  readonly #aborts = new AbortController();
  #kicked = "";
  #disposed = false;

  constructor(options: ConferenceOptions) {
    const conn = options.conn;
    this.#conn = conn;
    this.#store = options.store;
    conn.relayOnly = this.#store.value.relayOnly;
    this.#streams = new StreamManager(conn);
    this.#publisher = new Publisher({
      conn,
      streams: this.#streams,
      store: this.#store,
      muted: options.muted,
      memberCount: () => memberCount(this.#conn.users),
      onChange: () => this.#refreshBar(),
      onError: (text) => toast(text, "error"),
    });
    this.#transfers = new FileTransfers(conn);
    this.#stage = new Stage({
      conn,
      streams: this.#streams,
      store: this.#store,
      publisher: () => this.#publisher,
      onLocalChange: () => this.#refreshBar(),
    });
    this.#users = new UserList(
      byId("user-list", HTMLElement),
      byId("user-count", HTMLElement),
      {
        selfId: () => conn.id,
        onActivate: (user, button) =>
          openUserMenu(user, button, this.#menuDeps()),
      },
    );
    this.#chat = new ChatPane(
      byId("chat-log", HTMLElement),
      byId("chat-form", HTMLFormElement),
      byId("chat-input", HTMLTextAreaElement),
      {
        onLine: (text) => this.#runLine(text),
        onMenu: (line, anchor, at) =>
          openMessageMenu(line, anchor, { ...this.#menuDeps(), at }),
        signal: this.#aborts.signal,
      },
    );
    new TransferCards(byId("chat-log", HTMLElement), this.#transfers);
    const p = this.#publisher;
    this.#bar = new TopBar({
      enable: () =>
        p.camera ? p.disableCamera() : this.#guard(p.enableCamera()),
      mute: () => p.setMuted(!p.muted),
      share: () => this.#guard(p.shareScreen(!p.sharing)),
      hand: () => this.#setHand(!this.#handRaised()),
      leave: () => this.leave(),
    });
    this.#menu = new SideMenu({
      store: this.#store,
      onChange: (key, s) => this.#onSetting(key, s),
      onFile: (file) => this.#guard(p.playFile(file)),
      signal: this.#aborts.signal,
    });
    this.#listen(options.onEnd);
    conn.request(requestFor(this.#store.value.receive));
    // Muted before a reconnection: tell the others again.
    if (p.muted) conn.userAction("setdata", conn.id, { muted: true });
    this.#refreshGroup();
    if (options.publish !== "none" && conn.can("present")) {
      this.#guard(
        p.enableCamera(options.publish).then(() => this.#menu.refreshDevices()),
      );
    }
  }

  /** True while we send any media (the page warns before unloading). */
  get publishing(): boolean {
    return this.#streams.ups.size > 0;
  }
  /** What is published now, to restore it after a reconnection. */
  get publishMode(): PublishMode {
    return this.#publisher.mode;
  }
  /** Whether our microphone is muted. */
  get muted(): boolean {
    return this.#publisher.muted;
  }

  /** Leaves on purpose: closes the socket. */
  leave(): void {
    this.#conn.close();
  }

  /** Releases everything (after the socket closed); idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#aborts.abort();
    for (const off of this.#offs) off();
    this.#publisher.dispose();
    this.#streams.dispose();
    this.#transfers.dispose();
    this.#stage.dispose();
    this.#bar.dispose();
  }

  #listen(onEnd: ConferenceOptions["onEnd"]): void {
    const conn = this.#conn;
    const s = this.#streams;
    const messages = messageContext({
      conn,
      chat: this.#chat,
      run: (line) => this.#runLine(line),
      mute: () => this.#publisher.setMuted(true),
      kicked: (why) => (this.#kicked = why),
      unread: () => this.#bar.unread(),
    });
    this.#offs.push(
      s.on("error", (e) => toast(`Media: ${e}`, "warning")),
      conn.on("user", (e) => {
        this.#refreshUsers();
        if (e.kind !== "change") this.#publisher.checkSimulcast();
      }),
      conn.on("joined", (m) => {
        if (m.kind === "change") this.#refreshGroup();
        if (m.kind === "leave") {
          // Removed from the group without a kick message: end the session.
          this.#kicked ||= "You are no longer in this group";
          conn.close();
        }
      }),
      conn.on("chat", (m) => {
        if (m.kind === "caption") {
          this.#bar.caption(`${m.username}: ${m.value}`);
          return;
        }
        const peer = conn.users.get(m.source)?.username ?? m.username;
        this.#chat.add({
          message: m,
          ...(m.dest ? { private: { peer, sent: false } } : {}),
        });
        this.#bar.unread();
      }),
      conn.on("usermessage", (m) => handleUserMessage(m, messages)),
      conn.on("disconnect", (d) => {
        this.dispose();
        if (this.#kicked) onEnd("kicked", this.#kicked);
        else if (d.byUs) onEnd("left", "You left the group");
        else onEnd("lost", d.reason || "The connection to the server was lost");
      }),
    );
  }

  /** `/set` and `/unset`: store, apply, and show in the pane. */
  #changeSettings(change: Partial<Settings>): void {
    for (const key of Object.keys(change) as (keyof Settings)[]) {
      const next = this.#store.update({ [key]: change[key] });
      this.#onSetting(key, next);
    }
    this.#menu.refresh();
  }

  async #relayTest(): Promise<void> {
    this.#chat.system("Testing the TURN relay…");
    const result = await runRelayTest(this.#conn.rtcConfiguration);
    this.#chat.system(
      relayTestText(result),
      result.kind === "ok" ? "info" : "error",
    );
  }

  async #replace(): Promise<void> {
    const n = await this.#publisher.replaceAll();
    this.#chat.system(
      n === 0
        ? "Nothing to replace: you publish no stream"
        : `Replaced ${n} ${n === 1 ? "stream" : "streams"}`,
    );
  }

  #onSetting(key: keyof Settings, s: Settings): void {
    if (key === "receive") this.#conn.request(requestFor(s.receive));
    // For the connections opened from now on.
    else if (key === "relayOnly") this.#conn.relayOnly = s.relayOnly;
    else this.#publisher.applySetting(key, s);
  }

  #handRaised(): boolean {
    return handRaised(this.#conn.users, this.#conn.id);
  }

  #setHand(raised: boolean): void {
    this.#conn.userAction("setdata", this.#conn.id, {
      raisehand: raised ? true : null,
    });
  }

  #refreshBar(): void {
    const p = this.#publisher;
    this.#bar.update({
      canPresent: this.#conn.can("present"),
      publishing: p.camera !== null,
      muted: p.muted,
      sharing: p.sharing,
      hand: this.#handRaised(),
    });
    this.#stage.setMutedUsers(
      mutedUserIds(this.#conn.users, { id: this.#conn.id, muted: p.muted }),
    );
  }

  #refreshUsers(): void {
    this.#users.render(this.#conn.users);
    this.#refreshBar();
    this.#bar.badges({
      locked: this.#conn.status.locked === true,
      recording: isRecording(this.#conn.users),
    });
  }

  #refreshGroup(): void {
    const st = this.#conn.status;
    this.#bar.title(st.displayName || st.name || this.#conn.group);
    this.#menu.setCanPresent(this.#conn.can("present"));
    if (!this.#conn.can("present")) this.#publisher.stopAll();
    this.#refreshUsers();
  }

  #runLine(line: string): void {
    const store = this.#store;
    runCommandLine(this.#conn, this.#chat, {
      line,
      actions: {
        leave: () => this.leave(),
        renegotiate: () => this.#streams.renegotiateAll(),
        shareScreen: (on) => this.#guard(this.#publisher.shareScreen(on)),
        presentFile: () => byId("file-input", HTMLInputElement).click(),
        sendFile: (id) => this.#pickAndSend(id),
        setHand: (r) => this.#setHand(r),
        replace: () => this.#guard(this.#replace()),
        relayTest: () => this.#guard(this.#relayTest()),
        settings: {
          // A getter: `/set` prints the value after its change.
          get value() {
            return store.value;
          },
          change: (c) => this.#changeSettings(c),
        },
      },
    });
  }

  #menuDeps(): SessionMenuDeps {
    return {
      conn: this.#conn,
      chat: this.#chat,
      run: (line) => this.#runLine(line),
      sendFile: (id) => this.#pickAndSend(id),
      handRaised: () => this.#handRaised(),
      recording: () => isRecording(this.#conn.users),
    };
  }

  #pickAndSend(userId: string): void {
    const input = document.createElement("input");
    input.type = "file";
    input.addEventListener("change", () => {
      const file = input.files?.[0];
      if (file) this.#transfers.send(userId, file);
    });
    input.click();
  }

  #guard(p: Promise<unknown>): void {
    p.catch((e) => {
      toast(e instanceof Error ? e.message : String(e), "error");
      this.#refreshBar();
    });
  }
}
