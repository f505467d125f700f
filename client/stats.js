// Nereid: the administrator's statistics page. Polls the admin API's
// .stats every 2 s (the browser asks for the administrator's credentials
// on the first 401) and draws per-track figures with small SVG charts.
// Nothing is fetched from anywhere else; every server string goes through
// textContent, never HTML.

const STATS_URL = "/galene-api/v0/.stats";
const PERIOD = 2000;
/** Two minutes of samples at one per period. */
export const HISTORY = 60;

/** Formats bits/s as kbit/s. */
export function kbps(bits) {
  return typeof bits === "number" ? String(Math.round(bits / 1000)) : "";
}

/** Formats a 0…1 fraction as a percentage. */
export function percent(fraction) {
  return typeof fraction === "number" ? `${(fraction * 100).toFixed(1)}%` : "";
}

/** Formats milliseconds. */
export function ms(value) {
  return typeof value === "number" ? `${Math.round(value)} ms` : "";
}

/** The key under which a track's history is kept. */
export function trackKey(group, client, direction, conn, index) {
  return JSON.stringify([group, client, direction, conn, index]);
}

/**
 * The `points` of a polyline drawing `values` in a `width`×`height` box,
 * the highest value at the top (a flat line at the bottom when all are 0).
 */
export function sparklinePoints(values, width, height) {
  if (values.length === 0) return "";
  const max = Math.max(...values, 1);
  const step = values.length > 1 ? width / (HISTORY - 1) : 0;
  const offset = width - step * (values.length - 1);
  return values.map((v, i) => {
    const x = offset + i * step;
    const y = height - (v / max) * (height - 1);
    return `${x.toFixed(1)},${y.toFixed(1)}`;
  }).join(" ");
}

/**
 * Records this poll's bitrates in `history` (a Map of key → number[]),
 * dropping tracks that are gone; returns the map.
 */
export function recordHistory(history, report) {
  const seen = new Set();
  for (const group of report) {
    for (const client of group.clients ?? []) {
      for (const direction of ["up", "down"]) {
        for (const conn of client[direction] ?? []) {
          (conn.tracks ?? []).forEach((track, index) => {
            const key = trackKey(
              group.name,
              client.id,
              direction,
              conn.id,
              index,
            );
            seen.add(key);
            const values = history.get(key) ?? [];
            values.push(Number(track.bitrate) || 0);
            if (values.length > HISTORY) values.shift();
            history.set(key, values);
          });
        }
      }
    }
  }
  for (const key of [...history.keys()]) {
    if (!seen.has(key)) history.delete(key);
  }
  return history;
}

function element(name, options = {}) {
  const node = document.createElement(name);
  if (options.text !== undefined) node.textContent = options.text;
  if (options.className) node.className = options.className;
  for (const [k, v] of Object.entries(options.attributes ?? {})) {
    node.setAttribute(k, v);
  }
  return node;
}

/** A chart cloned from the page's template (so no namespace URL is needed here). */
function sparkline(values) {
  const template = document.getElementById("sparkline-template");
  const svg = template.content.firstElementChild.cloneNode(true);
  const last = values.at(-1) ?? 0;
  const peak = Math.max(0, ...values);
  svg.setAttribute(
    "aria-label",
    `Bitrate history: now ${kbps(last)} kbit/s, peak ${kbps(peak)} kbit/s`,
  );
  svg.querySelector("polyline").setAttribute(
    "points",
    sparklinePoints(values, 120, 24),
  );
  return svg;
}

const COLUMNS = [
  "Client",
  "Direction",
  "Stream",
  "Track",
  "Layer",
  "Bitrate",
  "Limit",
  "Loss",
  "Jitter",
  "RTT",
  "Last 2 min",
];

function groupSection(group, history) {
  const section = element("section", {
    className: "stats-group",
    attributes: { "aria-labelledby": `g-${encodeURIComponent(group.name)}` },
  });
  section.append(element("h2", {
    text: group.name,
    attributes: { id: `g-${encodeURIComponent(group.name)}` },
  }));
  const clients = group.clients ?? [];
  if (clients.length === 0) {
    section.append(
      element("p", { className: "stats-empty", text: "No clients." }),
    );
    return section;
  }
  const table = element("table", { className: "stats-table" });
  const streams = clients.reduce((n, c) => n + (c.up?.length ?? 0), 0);
  table.append(element("caption", {
    text: `${clients.length} client${clients.length === 1 ? "" : "s"}, ` +
      `${streams} published stream${streams === 1 ? "" : "s"}`,
  }));
  const head = element("thead");
  const headRow = element("tr");
  for (const name of COLUMNS) {
    headRow.append(element("th", { text: name, attributes: { scope: "col" } }));
  }
  head.append(headRow);
  table.append(head);
  const body = element("tbody");
  for (const client of clients) {
    const rows = [];
    for (const direction of ["up", "down"]) {
      for (const conn of client[direction] ?? []) {
        (conn.tracks ?? []).forEach((track, index) => {
          rows.push({ direction, conn, track, index });
        });
      }
    }
    if (rows.length === 0) rows.push(null);
    rows.forEach((row, i) => {
      const tr = element("tr", { className: i === 0 ? "client-start" : "" });
      const name = client.username || client.id.slice(0, 8);
      tr.append(element("th", {
        text: i === 0 ? name : "",
        className: "text",
        attributes: { scope: "row", title: client.id },
      }));
      if (row === null) {
        const td = element("td", { text: "no streams", className: "text" });
        td.colSpan = COLUMNS.length - 1;
        tr.append(td);
        body.append(tr);
        return;
      }
      const { direction, conn, track, index } = row;
      const limit = track.maxBitrate ?? conn.maxBitrate;
      const loss = element("td", { text: percent(track.loss) });
      if (track.loss >= 0.05) loss.className = "warn";
      const chart = element("td");
      chart.append(sparkline(
        history.get(
          trackKey(group.name, client.id, direction, conn.id, index),
        ) ?? [],
      ));
      tr.append(
        element("td", {
          text: direction === "up" ? "sending" : "receiving",
          className: "text",
        }),
        element("td", {
          text: conn.id.slice(0, 8),
          className: "text",
          attributes: { title: conn.id },
        }),
        element("td", { text: String(index + 1) }),
        element("td", {
          text: [track.layer, layerOf(track)].filter((x) => x).join(" "),
          className: "text",
        }),
        element("td", { text: kbps(track.bitrate) }),
        element("td", { text: kbps(limit) }),
        loss,
        element("td", { text: ms(track.jitter) }),
        element("td", { text: ms(track.rtt) }),
        chart,
      );
      body.append(tr);
    });
  }
  table.append(body);
  section.append(table);
  return section;
}

/** Galène's spatial/temporal layers, when a server reports them. */
function layerOf(track) {
  const parts = [];
  if (typeof track.sid === "number") {
    parts.push(`s${track.sid}/${track.maxSid ?? "?"}`);
  }
  if (typeof track.tid === "number") {
    parts.push(`t${track.tid}/${track.maxTid ?? "?"}`);
  }
  return parts.join(" ");
}

function start() {
  const container = document.getElementById("stats-groups");
  const status = document.getElementById("stats-status");
  const pause = document.getElementById("stats-pause");
  const refused = document.getElementById("stats-refused");
  const history = new Map();
  let paused = false;
  let timer = 0;

  function show(text, isError) {
    status.textContent = text;
    status.classList.toggle("error", isError);
  }

  async function poll() {
    timer = 0;
    try {
      const response = await fetch(STATS_URL, {
        credentials: "same-origin",
        cache: "no-store",
      });
      if (response.status === 401) {
        // The page says what is needed (stats.html), not just "no".
        show("Not authorised.", true);
        refused.hidden = false;
        container.replaceChildren();
        return;
      }
      refused.hidden = true;
      if (!response.ok) {
        throw new Error(`the server answered ${response.status}`);
      }
      const report = await response.json();
      if (!Array.isArray(report)) throw new Error("unexpected answer");
      recordHistory(history, report);
      const sections = report.map((group) => groupSection(group, history));
      if (sections.length === 0) {
        sections.push(
          element("p", {
            className: "stats-empty",
            text: "No group is in memory.",
          }),
        );
      }
      container.replaceChildren(...sections);
      show(`Updated at ${new Date().toLocaleTimeString()}.`, false);
    } catch (error) {
      show(`Cannot load statistics: ${error.message}. Retrying.`, true);
    }
    if (!paused) timer = setTimeout(poll, PERIOD);
  }

  pause.addEventListener("click", () => {
    paused = !paused;
    pause.setAttribute("aria-pressed", String(paused));
    pause.textContent = paused ? "Resume updates" : "Pause updates";
    if (paused && timer) {
      clearTimeout(timer);
      timer = 0;
    } else if (!paused && !timer) {
      poll();
    }
  });
  poll();
}

if (typeof document !== "undefined") start();
