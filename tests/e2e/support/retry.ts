/**
 * A second attempt for the browser tests, while a known intermittent bug
 * is open: now and then a stream published by Chromium never reaches the
 * subscriber (about one run in ten of the whole suite; see the notes of
 * issue 3). The failure is printed, so it stays visible in every log; a
 * test still fails when both attempts do.
 *
 * @module
 */

/** Runs `body`; on failure prints why and runs it once more. */
export async function withSecondAttempt(
  name: string,
  body: () => Promise<void>,
): Promise<void> {
  try {
    await body();
  } catch (e) {
    console.error(
      `KNOWN INTERMITTENT BUG? "${name}" failed once, trying again: ${e}`,
    );
    await body();
  }
}
