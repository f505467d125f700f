/**
 * Copying text for the user, with a fallback for pages where the
 * asynchronous clipboard is refused (no permission, insecure origin).
 *
 * @module
 */

import { toast } from "./toast.ts";

/**
 * Copies `text` and says so in a toast; when the browser refuses, selects
 * `field` (if given) so that the user can copy it by hand.
 */
export async function copyText(
  text: string,
  options: { field?: HTMLInputElement; what?: string } = {},
): Promise<boolean> {
  const what = options.what ?? "Text";
  try {
    if (!navigator.clipboard) throw new Error("No clipboard here");
    await navigator.clipboard.writeText(text);
    toast(`${what} copied`);
    return true;
  } catch {
    options.field?.focus();
    options.field?.select();
    toast(
      `Cannot copy here: press Ctrl+C to copy the selected text`,
      "warning",
    );
    return false;
  }
}
