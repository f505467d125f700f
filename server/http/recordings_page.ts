/**
 * The HTML of the recordings browser: a group's listing, and the page at
 * `/recordings/` that says how to reach one. Both wear the site's look
 * (`common.css`, plus `recordings.css` for the table) like the landing and
 * 404 pages.
 *
 * @module
 */

/** One file of a listing. */
export interface RecordingRow {
  name: string;
  size: number;
  mtime: Date | null;
}

const SIZE_UNITS = ["kB", "MB", "GB", "TB"];

/**
 * A file size for people: bytes below 1 kB, then kB, MB, GB with three
 * significant digits (decimal units, as file managers show them).
 *
 * @example
 * ```ts
 * formatSize(1_534_000); // "1.53 MB"
 * ```
 */
export function formatSize(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  let value = bytes;
  let unit = -1;
  do {
    value /= 1000;
    unit++;
  } while (value >= 999.5 && unit < SIZE_UNITS.length - 1);
  const digits = value.toPrecision(3);
  // toPrecision writes 100000 as "1.00e+5" only past the last unit.
  return `${digits.includes("e") ? Math.round(value) : digits} ${
    SIZE_UNITS[unit]
  }`;
}

/** Escapes text for HTML content and double-quoted attributes. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A group name for a URL path: each part percent-encoded, `/` kept. */
export function encodeGroupPath(group: string): string {
  return group.split("/").map(encodeURIComponent).join("/");
}

/** The listing of `group`'s recordings, with download links and delete forms. */
export function listingPage(group: string, rows: RecordingRow[]): string {
  const g = escapeHtml(group);
  const total = rows.reduce((n, r) => n + r.size, 0);
  const summary = rows.length === 0
    ? "There are no recordings in this group."
    : `${rows.length} ${rows.length === 1 ? "recording" : "recordings"}, ${
      formatSize(total)
    } in all. A recording still in progress grows until it stops.`;
  const table = rows.length === 0 ? "" : `
      <table class="recordings">
        <thead>
          <tr>
            <th scope="col">File</th>
            <th scope="col" class="size">Size</th>
            <th scope="col">Last written</th>
            <th scope="col"><span class="visually-hidden">Delete</span></th>
          </tr>
        </thead>
        <tbody>
${rows.map(row).join("\n")}
        </tbody>
      </table>`;
  return shell(
    `Recordings of ${group}`,
    `
      <h1>Recordings of <span class="group-name">${g}</span></h1>
      <p class="muted">${summary}</p>${table}
      <p><a href="/group/${
      escapeHtml(encodeGroupPath(group))
    }/">Go to the group</a></p>`,
  );
}

/**
 * The page at `/recordings/`: which address lists a group's recordings, and
 * a form that goes there. `error` is shown above the form.
 */
export function indexPage(error?: string): string {
  return shell(
    "Recordings",
    `
      <h1>Recordings</h1>
      <p>
        Each group's recordings are listed at
        <code>/recordings/GROUP/</code>, for example
        <code>/recordings/demo/</code>. You will be asked for the username and
        password of a user of that group who may record.
      </p>
      <form class="join-form" action="/recordings/" method="get">
        <label for="group">Group name</label>
        <div class="row">
          <input type="text" id="group" name="group" required
            autocomplete="off" autocapitalize="none" spellcheck="false"${
      error ? ' aria-invalid="true" aria-describedby="group-error"' : ""
    }>
          <button type="submit">Show recordings</button>
        </div>
        <p class="error" id="group-error" role="alert">${
      error ? escapeHtml(error) : ""
    }</p>
      </form>`,
  );
}

function row(r: RecordingRow): string {
  const n = escapeHtml(r.name);
  const href = escapeHtml(encodeURIComponent(r.name));
  const iso = r.mtime?.toISOString() ?? "";
  const shown = iso.slice(0, 16).replace("T", " ");
  return `          <tr>
            <td class="file"><a href="./${href}" download>${n}</a></td>
            <td class="size">${formatSize(r.size)}</td>
            <td class="date">${
    iso ? `<time datetime="${iso}">${shown} UTC</time>` : ""
  }</td>
            <td class="action">
              <form action="./" method="post">
                <input type="hidden" name="q" value="delete">
                <input type="hidden" name="filename" value="${n}">
                <button type="submit" class="delete" aria-label="Delete ${n}">Delete</button>
              </form>
            </td>
          </tr>`;
}

function shell(title: string, main: string): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>${escapeHtml(title)} · Nereid</title>
    <link rel="icon" href="/favicon.svg" type="image/svg+xml">
    <link rel="stylesheet" href="/common.css">
    <link rel="stylesheet" href="/recordings.css">
  </head>
  <body>
    <header class="site-header">
      <a class="brand" href="/">Nereid</a>
    </header>
    <main class="page recordings-page">${main}
    </main>
  </body>
</html>
`;
}
