/**
 * One joined session: wires the connection to streams, file transfers and
 * the interface pieces (top bar, grid, members, chat), and owns our local
 * media. The app creates one per successful join and disposes of it when
 * the socket goes.
 *
 * @module
 */

import { type CommandContext, CommandError, runLine } from "./commands.ts";
import { FileTransfers } from "./file_transfer.ts";
import {
  type FileSource,
  openCamera,
  openFile,
  openScreen,
} from "./local_media.ts";
import type {
  ChatMessage,
  ServerConnection,
  User,
  UserMessageMessage,
} from "./protocol.ts";
import {
  maxBitrate,
  requestFor,
  type Settings,
  type SettingsStore,
  useSimulcast,
  wantsLowVideo,
} from "./settings.ts";
import { SpeakerDetector } from "./speaker.ts";
import { type DownStream, StreamManager, type UpStream } from "./streams.ts";
import { type ChatLine, ChatPane } from "./ui/chat.ts";
import { byId } from "./ui/dom.ts";
import { showMenu } from "./ui/menu.ts";
import { SideMenu } from "./ui/side_menu.ts";
import { toast } from "./ui/toast.ts";
import { TopBar } from "./ui/top_bar.ts";
import { TransferCards } from "./ui/transfers.ts";
import { UserList } from "./ui/user_list.ts";
import { userMenu } from "./ui/user_menu.ts";
import { VideoGrid } from "./ui/video_grid.ts";

/** Why a conference ended. */
export type EndReason = "left" | "kicked" | "lost";

/** Options of {@link Conference}. */
export interface ConferenceOptions {
  conn: ServerConnection;
  store: SettingsStore;
  /** Turn the camera/microphone on at once (login choice or reconnect). */
  publish: "both" | "audio" | "none";
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
  readonly #transfers: FileTransfers;
  readonly #grid: VideoGrid;
  readonly #users: UserList;
  readonly #chat: ChatPane;
  readonly #bar: TopBar;
  readonly #menu: SideMenu;
  readonly #speaker = new SpeakerDetector();
  readonly #offs: (() => void)[] = [];
  readonly #aborts = new AbortController();
  #camera: UpStream | null = null;
  #screen: UpStream | null = null;
  #file: { up: UpStream; source: FileSource } | null = null;
  #muted: boolean;
  #kicked = "";
  #timer: ReturnType<typeof setInterval> | undefined;
  #disposed = false;

  constructor(options: ConferenceOptions) {
    const conn = options.conn;
    this.#conn = conn;
    this.#store = options.store;
    this.#muted = options.muted;
    this.#streams = new StreamManager(conn);
    this.#transfers = new FileTransfers(conn);
    this.#grid = new VideoGrid(
      byId("video-area", HTMLElement),
      byId("video-grid", HTMLElement),
      {
        onTileSize: (id, w, h) => this.#onTileSize(id, w, h),
      },
    );
    this.#users = new UserList(
      byId("user-list", HTMLElement),
      byId("user-count", HTMLElement),
      {
        selfId: () => conn.id,
        onActivate: (user, button) => this.#openUserMenu(user, button),
      },
    );
    this.#chat = new ChatPane(
      byId("chat-log", HTMLElement),
      byId("chat-form", HTMLFormElement),
      byId("chat-input", HTMLTextAreaElement),
      {
        onLine: (text) => this.#runLine(text),
        onMenu: (line, anchor, at) => this.#openMessageMenu(line, anchor, at),
        signal: this.#aborts.signal,
      },
    );
    new TransferCards(byId("chat-log", HTMLElement), this.#transfers);
    this.#bar = new TopBar({
      enable: () => this.#toggleCamera(),
      mute: () => this.setMuted(!this.#muted),
      share: () => this.#guard(this.shareScreen(!this.#screen)),
      hand: () => this.#setHand(!this.#handRaised()),
      leave: () => this.leave(),
    });
    this.#menu = new SideMenu({
      store: this.#store,
      onChange: (key, s) => this.#onSetting(key, s),
      onFile: (file) => this.#guard(this.#playFile(file)),
      signal: this.#aborts.signal,
    });
    this.#listen(options.onEnd);
    conn.request(requestFor(this.#store.value.receive));
    // Muted before a reconnection: tell the others again.
    if (this.#muted) conn.userAction("setdata", conn.id, { muted: true });
    this.#refreshGroup();
    this.#refreshUsers();
    this.#timer = setInterval(() => this.#sampleSpeakers(), 400);
    if (options.publish !== "none" && conn.can("present")) {
      this.#guard(this.enableCamera(options.publish));
    }
  }

  /** True while we send any media (the page warns before unloading). */
  get publishing(): boolean {
    return this.#streams.ups.size > 0;
  }
  /** What is published now, to restore it after a reconnection. */
  get publishMode(): "both" | "audio" | "none" {
    if (!this.#camera) return "none";
    return this.#camera.stream.getVideoTracks().length > 0 ? "both" : "audio";
  }
  /** Whether our microphone is muted. */
  get muted(): boolean {
    return this.#muted;
  }

  /** Opens camera and/or microphone and publishes them. */
  async enableCamera(
    mode: "both" | "audio" = this.#store.value.publish === "audio"
      ? "audio"
      : "both",
  ): Promise<void> {
    if (this.#camera) return;
    const s = this.#store.value;
    const stream = await openCamera(s, mode);
    if (this.#disposed) {
      for (const t of stream.getTracks()) t.stop();
      return;
    }
    for (const t of stream.getAudioTracks()) t.enabled = !this.#muted;
    this.#camera = await this.#streams.publish(stream, {
      label: "camera",
      simulcast: useSimulcast(s.simulcast, this.#memberCount()) &&
        mode === "both",
      maxBitrate: maxBitrate(s.throughput),
    });
    this.#menu.refreshDevices();
    this.#refreshBar();
  }

  /** Stops the camera and microphone. */
  disableCamera(): void {
    if (this.#camera) this.#streams.unpublish(this.#camera.id);
  }

  /** Starts or stops sharing the screen (a second stream, never simulcast). */
  async shareScreen(on: boolean): Promise<void> {
    if (!on) {
      if (this.#screen) this.#streams.unpublish(this.#screen.id);
      return;
    }
    if (this.#screen) return;
    const stream = await openScreen();
    this.#screen = await this.#streams.publish(stream, {
      label: "screenshare",
      simulcast: false,
      maxBitrate: null,
    });
    this.#refreshBar();
  }

  /** Mutes or unmutes the microphone and tells the others (user data). */
  setMuted(muted: boolean): void {
    this.#muted = muted;
    for (const t of this.#camera?.stream.getAudioTracks() ?? []) {
      t.enabled = !muted;
    }
    if (this.#conn.connected) {
      this.#conn.userAction("setdata", this.#conn.id, {
        muted: muted ? true : null,
      });
    }
    this.#refreshBar();
    this.#refreshMuted();
  }

  /** Leaves on purpose: closes the socket. */
  leave(): void {
    this.#conn.close();
  }

  /** Releases everything (after the socket closed). */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    clearInterval(this.#timer);
    this.#aborts.abort();
    for (const off of this.#offs) off();
    this.#file?.source.stop();
    this.#streams.dispose();
    this.#transfers.dispose();
    this.#grid.clear();
    this.#bar.dispose();
  }

  #listen(onEnd: ConferenceOptions["onEnd"]): void {
    const conn = this.#conn;
    const s = this.#streams;
    this.#offs.push(
      s.on("up", (up) => {
        this.#tile(up, true);
        this.#refreshBar();
      }),
      s.on("upClosed", (up) => this.#onUpClosed(up)),
      s.on("down", (down) => this.#tile(down, false)),
      s.on("downClosed", (down) => this.#grid.remove(down.id)),
      s.on("error", (e) => toast(`Media: ${e}`, "warning")),
      conn.on("user", (e) => {
        this.#refreshUsers();
        if (e.kind !== "change") this.#checkSimulcast();
      }),
      conn.on("joined", (m) => {
        if (m.kind === "change") this.#refreshGroup();
        if (m.kind === "leave") {
          // Removed from the group without a kick message: end the session.
          this.#kicked ||= "You are no longer in this group";
          conn.close();
        }
      }),
      conn.on("chat", (m) => this.#onChat(m)),
      conn.on("usermessage", (m) => this.#onUserMessage(m)),
      conn.on("disconnect", (d) => {
        this.dispose();
        if (this.#kicked) onEnd("kicked", this.#kicked);
        else if (d.byUs) onEnd("left", "You left the group");
        else onEnd("lost", d.reason || "The connection to the server was lost");
      }),
    );
  }

  #tile(s: UpStream | DownStream, local: boolean): void {
    const userId = local ? this.#conn.id : (s as DownStream).source;
    this.#grid.upsert({
      id: s.id,
      userId,
      username: local ? this.#conn.username : (s as DownStream).username,
      label: s.label,
      local,
      stream: s.stream,
    });
  }

  #onUpClosed(up: UpStream): void {
    this.#grid.remove(up.id);
    if (this.#camera === up) this.#camera = null;
    if (this.#screen === up) this.#screen = null;
    if (this.#file?.up === up) {
      this.#file.source.stop();
      this.#file = null;
    }
    this.#refreshBar();
  }

  #onTileSize(id: string, width: number, height: number): void {
    if (
      !this.#streams.downs.has(id) || this.#store.value.receive !== "everything"
    ) return;
    this.#streams.requestStream(
      id,
      wantsLowVideo(width, height) ? ["audio", "video-low"] : null,
    );
  }

  async #sampleSpeakers(): Promise<void> {
    const levels = await this.#streams.audioLevels();
    if (this.#muted && this.#camera) levels.delete(this.#camera.id);
    this.#grid.setSpeaker(this.#speaker.update(levels, Date.now()));
  }

  #memberCount(): number {
    return [...this.#conn.users.values()].filter((u) =>
      !u.permissions.includes("system")
    ).length;
  }

  #checkSimulcast(): void {
    const cam = this.#camera;
    if (!cam || cam.stream.getVideoTracks().length === 0) return;
    const want = useSimulcast(this.#store.value.simulcast, this.#memberCount());
    if (want === cam.options.simulcast) return;
    this.#guard(
      this.#streams.republish(cam.id, {
        simulcast: want,
        maxBitrate: cam.options.maxBitrate,
      }).then((up) => {
        if (up) this.#camera = up;
      }),
    );
  }

  #onSetting(key: keyof Settings, s: Settings): void {
    if (key === "receive") {
      this.#conn.request(requestFor(s.receive));
    } else if (key === "throughput" && this.#camera) {
      this.#guard(
        this.#streams.setMaxBitrate(this.#camera.id, maxBitrate(s.throughput)),
      );
    } else if (key === "simulcast") {
      this.#checkSimulcast();
    } else if (
      (key === "camera" || key === "microphone" || key === "blackboard" ||
        key === "publish") && this.#camera
    ) {
      // New devices or constraints: reopen, then publish in place of the old.
      const mode = key === "publish"
        ? (s.publish === "audio" ? "audio" : "both")
        : this.publishMode;
      if (mode === "none") return;
      this.disableCamera();
      this.#guard(this.enableCamera(mode));
    }
  }

  async #playFile(file: File): Promise<void> {
    if (!this.#conn.can("present")) {
      throw new Error("You are not allowed to present");
    }
    if (this.#file) this.#streams.unpublish(this.#file.up.id);
    const source = await openFile(file);
    const up = await this.#streams.publish(source.stream, {
      label: "video",
      simulcast: false,
      maxBitrate: null,
    });
    this.#file = { up, source };
  }

  #toggleCamera(): void {
    if (this.#camera) this.disableCamera();
    else this.#guard(this.enableCamera());
  }

  #handRaised(): boolean {
    return this.#conn.users.get(this.#conn.id)?.data["raisehand"] === true;
  }

  #setHand(raised: boolean): void {
    this.#conn.userAction("setdata", this.#conn.id, {
      raisehand: raised ? true : null,
    });
  }

  #refreshBar(): void {
    this.#bar.update({
      canPresent: this.#conn.can("present"),
      publishing: this.#camera !== null,
      muted: this.#muted,
      sharing: this.#screen !== null,
      hand: this.#handRaised(),
    });
  }

  #refreshUsers(): void {
    this.#users.render(this.#conn.users);
    this.#refreshMuted();
    this.#refreshBar();
    const recording = [...this.#conn.users.values()].some((u) =>
      u.permissions.includes("system") && u.username === "RECORDING"
    );
    this.#bar.badges({ locked: this.#conn.status.locked === true, recording });
  }

  #refreshMuted(): void {
    const muted = [...this.#conn.users.values()].filter((u) =>
      u.data["muted"] === true
    ).map((u) => u.id);
    if (this.#muted) muted.push(this.#conn.id);
    this.#grid.setMutedUsers(muted);
  }

  #refreshGroup(): void {
    const st = this.#conn.status;
    this.#bar.title(st.displayName || st.name || this.#conn.group);
    this.#menu.setCanPresent(this.#conn.can("present"));
    if (!this.#conn.can("present")) {
      for (const up of [...this.#streams.ups.values()]) {
        this.#streams.unpublish(up.id);
      }
    }
    this.#refreshUsers();
  }

  #onChat(m: ChatMessage): void {
    if (m.kind === "caption") {
      this.#bar.caption(`${m.username}: ${m.value}`);
      return;
    }
    const peer = this.#conn.users.get(m.source)?.username ?? m.username;
    this.#chat.add({
      message: m,
      ...(m.dest ? { private: { peer, sent: false } } : {}),
    });
    this.#bar.unread();
  }

  #onUserMessage(m: UserMessageMessage): void {
    const text = typeof m.value === "string" ? m.value : "";
    const from = m.username || "The server";
    switch (m.kind) {
      case "error":
      case "warning":
      case "info":
        if (!m.privileged) return;
        // Trickled candidates may reach the server after it replaced or
        // closed their stream: a harmless race, not worth a notice.
        if (/^unknown stream/.test(text)) {
          console.info(`Server: ${text}`);
          return;
        }
        toast(m.source ? `${from}: ${text}` : text, m.kind);
        this.#chat.system(
          m.source ? `${from}: ${text}` : text,
          m.kind === "error" ? "error" : "info",
        );
        return;
      case "kicked":
        this.#kicked = `${
          m.username ? `${m.username} made you leave` : "You were made to leave"
        }${text ? `: ${text}` : ""}`;
        return;
      case "mute":
        if (!m.privileged) return;
        this.setMuted(true);
        toast(`${from} muted your microphone`, "warning");
        return;
      case "clearchat":
        if (!m.privileged) return;
        this.#clearChat(m.value);
        return;
      case "token":
        this.#showToken(m);
        return;
      case "tokenlist":
        this.#chat.system(`Invitations: ${JSON.stringify(m.value)}`);
        return;
      case "userinfo": {
        const v = (m.value ?? {}) as Record<string, unknown>;
        this.#chat.system(
          `${String(v["username"] ?? "?")} connects from ${
            String(v["address"] ?? "an unknown address")
          }`,
        );
        return;
      }
    }
  }

  #clearChat(value: unknown): void {
    if (value && typeof value === "object") {
      const v = value as Record<string, unknown>;
      this.#chat.clear({
        ...(typeof v["id"] === "string" ? { id: v["id"] } : {}),
        ...(typeof v["userId"] === "string" ? { userId: v["userId"] } : {}),
      });
    } else {
      this.#chat.clear();
    }
  }

  #showToken(m: UserMessageMessage): void {
    if (m.error) {
      this.#chat.system(
        `Cannot make an invitation: ${String(m.value)}`,
        "error",
      );
      return;
    }
    const t = (m.value ?? {}) as Record<string, unknown>;
    const link = `${location.origin}/group/${
      encodeURIComponent(this.#conn.group).replaceAll("%2F", "/")
    }/?token=${encodeURIComponent(String(t["token"] ?? ""))}`;
    this.#chat.system(`Invitation link: ${link}`);
    navigator.clipboard?.writeText(link).then(
      () => toast("Invitation link copied"),
      () => {},
    );
  }

  #commandContext(): CommandContext {
    const conn = this.#conn;
    return {
      conn: {
        id: conn.id,
        users: conn.users,
        can: (p) => conn.can(p),
        // Private messages are not echoed by the server: show ours here.
        chat: (m) => {
          conn.chat(m);
          if (m.dest) {
            this.#chat.add({
              message: {
                type: "chat",
                id: "",
                source: conn.id,
                username: conn.username,
                dest: m.dest,
                kind: m.kind ?? "",
                value: m.value,
                privileged: false,
                time: Date.now(),
              },
              private: {
                peer: conn.users.get(m.dest)?.username ?? "?",
                sent: true,
              },
            });
          }
        },
        userMessage: (k, m) => conn.userMessage(k, m),
        groupAction: (k, v) => conn.groupAction(k, v),
        userAction: (k, d, v) => conn.userAction(k, d, v),
      },
      print: (t) => this.#chat.system(t),
      leave: () => this.leave(),
      renegotiate: () => this.#streams.renegotiateAll(),
      shareScreen: (on) => this.#guard(this.shareScreen(on)),
      presentFile: () => byId("file-input", HTMLInputElement).click(),
      sendFile: (id) => this.#pickAndSend(id),
      setHand: (r) => this.#setHand(r),
    };
  }

  #runLine(text: string): void {
    try {
      runLine(this.#commandContext(), text);
    } catch (e) {
      if (e instanceof CommandError) this.#chat.system(e.message, "error");
      else {this.#chat.system(
          `Cannot send: ${e instanceof Error ? e.message : e}`,
          "error",
        );}
    }
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

  #openUserMenu(user: User, button: HTMLElement): void {
    const items = userMenu(user, {
      conn: this.#conn,
      hand: this.#handRaised(),
      locked: this.#conn.status.locked === true,
      recording: [...this.#conn.users.values()].some((u) =>
        u.username === "RECORDING" && u.permissions.includes("system")
      ),
      run: (line) => this.#runLine(line),
      message: (u) => this.#chat.prefill(`/msg ${u.username} `),
      sendFile: (u) => this.#pickAndSend(u.id),
    });
    showMenu(button, user.username || "Anonymous", items);
  }

  #openMessageMenu(
    line: ChatLine,
    anchor: HTMLElement,
    at?: { x: number; y: number },
  ): void {
    const m = line.message;
    const conn = this.#conn;
    const items = [];
    const sender = conn.users.get(m.source);
    if (sender && sender.id !== conn.id && conn.can("message")) {
      items.push({
        label: `Reply privately to ${sender.username}`,
        action: () => this.#chat.prefill(`/msg ${sender.username} `),
      });
    }
    items.push({
      label: "Copy text",
      action: () => {
        navigator.clipboard?.writeText(m.value).then(
          () => toast("Copied"),
          () => toast("Cannot copy", "warning"),
        );
      },
    });
    if (conn.can("op")) {
      if (m.id && !line.private) {
        items.push({
          label: "Delete this message",
          action: () =>
            conn.groupAction("clearchat", { id: m.id, userId: m.source }),
        });
      }
      if (sender && sender.id !== conn.id) {
        items.push({
          label: `Kick ${sender.username}`,
          danger: true,
          action: () => conn.userAction("kick", sender.id),
        });
      }
      items.push({
        label: "Clear the chat for everyone",
        danger: true,
        action: () => conn.groupAction("clearchat"),
      });
    }
    showMenu(anchor, `Message from ${m.username || "Anonymous"}`, items, at);
  }

  #guard(p: Promise<unknown>): void {
    p.catch((e) => {
      const text = e instanceof Error ? e.message : String(e);
      toast(text, "error");
      this.#refreshBar();
    });
  }
}
