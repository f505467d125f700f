/**
 * Independent scenarios of the web client in one file's server and
 * Chromium: each runs as a step in a group of its own (like
 * `groups/demo.json`), with its own people, whose pages it closes at its
 * end after checking they threw nothing. One failing scenario leaves the
 * others' groups and pages untouched, so it hides none of them; sharing
 * the server and the browser keeps a file's start-up cost to one.
 *
 * @example
 * ```ts
 * Deno.test({ name: "…", sanitizeResources: false, sanitizeOps: false, fn: (t) =>
 *   scenarios(t, {
 *     "ann sees herself": async ({ person }) => {
 *       const ann = await person();
 *       await login(ann, "ann", "x");
 *     },
 *   }) });
 * ```
 *
 * @module
 */

import assert from "node:assert/strict";
import { launchBrowser } from "../support/browser.ts";
import { DEMO_GROUP } from "../support/groups.ts";
import { startTestServer, type TestServer } from "../support/test_server.ts";
import {
  login,
  open,
  type OpenOptions,
  type Person,
  SCREENSHOTS,
} from "./browser.ts";

/** What a scenario gets. */
export interface Scenario {
  readonly srv: TestServer;
  /** The scenario's group page, `…/group/NAME/`. */
  readonly url: string;
  /** Opens the group page (or `at`) in a new context for one more person. */
  person(options?: OpenOptions, at?: string): Promise<Person>;
  /**
   * Opens the group page for `username` and logs in with `password`,
   * publishing `publish` (default both camera and microphone).
   */
  member(
    username: string,
    password: string,
    publish?: "both" | "audio" | "none",
  ): Promise<Person>;
  /** Closes a person's context before the scenario ends. */
  leave(p: Person): Promise<void>;
}

/** The path of screenshot `name` (git-ignored). */
export function shot(name: string): string {
  return new URL(name, SCREENSHOTS).pathname;
}

/** Runs each scenario as a step of `t`, in a group of its own. */
export async function scenarios(
  t: Deno.TestContext,
  list: Record<string, (s: Scenario) => Promise<void>>,
): Promise<void> {
  await Deno.mkdir(SCREENSHOTS, { recursive: true });
  const names = Object.keys(list).map((_, i) => `room${i}`);
  const srv = await startTestServer({
    groups: Object.fromEntries(names.map((n) => [n, DEMO_GROUP])),
  });
  const browser = await launchBrowser();
  try {
    for (const [i, [title, run]] of Object.entries(list).entries()) {
      await t.step(title, async () => {
        const url = `${srv.url}/group/${names[i]}/`;
        const people: Person[] = [];
        const leave = async (p: Person) => {
          await p.context.close();
          people.splice(people.indexOf(p), 1);
        };
        try {
          const person = async (options?: OpenOptions, at = url) => {
            const p = await open(browser, at, options);
            people.push(p);
            return p;
          };
          await run({
            srv,
            url,
            person,
            async member(username, password, publish = "both") {
              const p = await person();
              await login(p, username, password, publish);
              return p;
            },
            leave,
          });
          for (const p of people) {
            assert.deepEqual(p.errors, [], "no uncaught page errors");
          }
        } finally {
          for (const p of people) await p.context.close().catch(() => {});
        }
      });
    }
  } finally {
    await browser.close();
    await srv.close();
  }
}
