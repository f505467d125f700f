// @ts-check
/**
 * Landing page: join a group by name, or pick one of the public groups.
 *
 * @module
 */

/**
 * A public group as listed by `/public-groups.json`, after validation.
 *
 * @typedef {object} PublicGroup
 * @property {string} name
 * @property {string} displayName
 * @property {string} description
 * @property {boolean} locked
 * @property {number | undefined} clientCount
 */

/**
 * The page URL of a group; names may contain "/" for subgroups.
 *
 * @param {string} name
 * @returns {string}
 */
function groupPath(name) {
  return "/group/" + name.split("/").map(encodeURIComponent).join("/") + "/";
}

/**
 * Look up an element the page is known to contain.
 *
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new () => T} type
 * @returns {T}
 */
function byId(id, type) {
  const element = document.getElementById(id);
  if (!(element instanceof type)) {
    throw new TypeError(`Landing page is missing element #${id}`);
  }
  return element;
}

/**
 * Check the group exists, then go to it.
 *
 * @param {SubmitEvent} event
 */
async function onJoin(event) {
  event.preventDefault();
  const input = byId("group-name", HTMLInputElement);
  const button = byId("join-button", HTMLButtonElement);
  const name = input.value.trim().replace(/^\/+|\/+$/g, "");
  if (name === "") {
    showJoinError("Please type the name of a group");
    return;
  }
  showJoinError("");
  button.disabled = true;
  let ok = false;
  try {
    // The server redirects this legacy name to ".status"; fetch follows.
    const res = await fetch(groupPath(name) + ".status.json", {
      method: "HEAD",
      redirect: "follow",
    });
    ok = res.ok;
    if (!ok) showJoinError("No such group");
  } catch (err) {
    console.error(`Cannot check group "${name}":`, err);
    showJoinError("Cannot reach the server, please try again");
  } finally {
    button.disabled = false;
  }
  if (ok) location.href = groupPath(name);
  else input.focus();
}

/** @param {string} message */
function showJoinError(message) {
  byId("join-error", HTMLElement).textContent = message;
  const input = byId("group-name", HTMLInputElement);
  if (message === "") input.removeAttribute("aria-invalid");
  else input.setAttribute("aria-invalid", "true");
}

/**
 * Keep the well-formed entries of the server's list; nothing below trusts
 * the raw JSON.
 *
 * @param {unknown} json
 * @returns {PublicGroup[]}
 */
function parsePublicGroups(json) {
  if (!Array.isArray(json)) throw new TypeError("Public groups: not an array");
  /** @type {PublicGroup[]} */
  const groups = [];
  for (const item of /** @type {unknown[]} */ (json)) {
    if (typeof item !== "object" || item === null) continue;
    const g = /** @type {Record<string, unknown>} */ (item);
    if (typeof g.name !== "string" || g.name === "") continue;
    groups.push({
      name: g.name,
      displayName: typeof g.displayName === "string" ? g.displayName : "",
      description: typeof g.description === "string" ? g.description : "",
      locked: g.locked === true,
      clientCount: typeof g.clientCount === "number"
        ? g.clientCount
        : undefined,
    });
  }
  return groups;
}

/**
 * @param {PublicGroup} group
 * @returns {HTMLLIElement}
 */
function groupItem(group) {
  const item = document.createElement("li");
  item.className = "group";

  const title = document.createElement("h3");
  title.className = "group-title";
  const link = document.createElement("a");
  link.className = "group-link";
  link.href = groupPath(group.name);
  link.textContent = group.displayName || group.name;
  title.append(link);
  if (group.locked) {
    const badge = document.createElement("span");
    badge.className = "badge";
    badge.textContent = "Locked";
    badge.title = "Only some users can join while the group is locked";
    title.append(badge);
  }
  item.append(title);

  if (group.description) {
    const description = document.createElement("p");
    description.className = "group-description";
    description.textContent = group.description;
    item.append(description);
  }
  if (group.clientCount !== undefined) {
    const count = document.createElement("p");
    count.className = "group-count";
    const n = group.clientCount;
    count.textContent = n === 0
      ? "Nobody here yet"
      : `${n} ${n === 1 ? "participant" : "participants"}`;
    item.append(count);
  }
  return item;
}

async function loadPublicGroups() {
  const status = byId("public-status", HTMLElement);
  const list = byId("public-groups", HTMLUListElement);
  /** @type {PublicGroup[]} */
  let groups;
  try {
    const res = await fetch("/public-groups.json");
    if (!res.ok) throw new Error(`HTTP status ${res.status}`);
    groups = parsePublicGroups(await res.json());
  } catch (err) {
    console.error("Cannot load the public groups:", err);
    status.textContent = "Could not load the list of public groups";
    return;
  }
  if (groups.length === 0) {
    status.textContent = "No public groups";
    return;
  }
  list.replaceChildren(...groups.map(groupItem));
  list.hidden = false;
  status.hidden = true;
}

byId("join-form", HTMLFormElement).addEventListener("submit", onJoin);
loadPublicGroups();
