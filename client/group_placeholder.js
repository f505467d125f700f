// @ts-check
/**
 * Placeholder group page: shows which group this is until the conference
 * interface replaces this file.
 *
 * @module
 */

/** The group name from the URL, as a fallback when the status is missing. */
function nameFromPath() {
  const match = /^\/group\/(.+?)\/?$/.exec(location.pathname);
  if (!match?.[1]) return "";
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return match[1];
  }
}

async function showGroup() {
  const title = document.getElementById("group-title");
  const description = document.getElementById("group-description");
  const status = document.getElementById("group-status");
  if (!title || !description || !status) return;
  title.textContent = nameFromPath() || "Nereid";
  try {
    // Relative on purpose: the page is served at /group/NAME/.
    const res = await fetch(".status");
    if (!res.ok) throw new Error(`HTTP status ${res.status}`);
    /** @type {unknown} */
    const json = await res.json();
    if (typeof json !== "object" || json === null) {
      throw new TypeError("Not an object");
    }
    const group = /** @type {Record<string, unknown>} */ (json);
    const name = typeof group.displayName === "string" && group.displayName
      ? group.displayName
      : typeof group.name === "string"
      ? group.name
      : "";
    if (name) title.textContent = name;
    if (typeof group.description === "string") {
      description.textContent = group.description;
    }
  } catch (err) {
    console.error("Cannot load the group status:", err);
    status.textContent =
      "Could not load this group. The conference interface is coming soon.";
  }
}

showGroup();
