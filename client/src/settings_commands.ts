/**
 * `/set [key [json]]` and `/unset key`: the local settings
 * of the side menu, from the chat. `/set` alone lists them, `/set key`
 * shows one, `/set key json` changes it; `/unset key` restores its default.
 *
 * @module
 */

import { type Command, CommandError, firstWord } from "./command.ts";
import {
  DEFAULT_SETTINGS,
  isSettingKey,
  SETTING_KEYS,
  settingFromValue,
  type Settings,
} from "./settings.ts";

function key(word: string, usage: string): keyof Settings {
  if (!word) throw new CommandError(usage);
  if (!isSettingKey(word)) {
    throw new CommandError(
      `No setting called "${word}"; try one of ${SETTING_KEYS.join(", ")}`,
    );
  }
  return word;
}

function line(k: keyof Settings, s: Readonly<Settings>): string {
  return `${k} = ${JSON.stringify(s[k])}`;
}

/** `/set` and `/unset`. */
export const SETTINGS_COMMANDS: Readonly<Record<string, Command>> = {
  set: {
    params: "[key [json]]",
    description: "Show or change a local setting",
    run(ctx, args) {
      const settings = ctx.settings;
      const [word, rest] = firstWord(args);
      if (!word) {
        ctx.print(
          SETTING_KEYS.map((k) => line(k, settings.value)).join("\n"),
        );
        return;
      }
      const k = key(word, "Usage: /set [key [json]]");
      if (!rest) {
        ctx.print(line(k, settings.value));
        return;
      }
      let value: unknown;
      try {
        value = JSON.parse(rest);
      } catch {
        // A bare word is what people type for a string setting.
        value = rest;
      }
      let change: Partial<Settings>;
      try {
        change = settingFromValue(k, value);
      } catch (e) {
        throw new CommandError(e instanceof Error ? e.message : String(e));
      }
      settings.change(change);
      ctx.print(line(k, settings.value));
    },
  },
  unset: {
    params: "key",
    description: "Restore a local setting to its default",
    run(ctx, args) {
      const k = key(firstWord(args)[0], "Usage: /unset key");
      ctx.settings.change({ [k]: DEFAULT_SETTINGS[k] });
      ctx.print(line(k, ctx.settings.value));
    },
  },
};
