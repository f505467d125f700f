/**
 * The video grid's shape: how many columns make the tiles largest for a
 * given count and area. Pure, so tested without a browser.
 *
 * Tiles may take any aspect between `minAspect` and `maxAspect`: a fixed
 * 16:9 would stack three tiles in a column on a wide pane when a 2×2 grid
 * shows them larger. The video grid narrows the range to the videos' own
 * shape once it is known, since pictures are shown whole (never cropped).
 *
 * @module
 */

/** A grid shape and the size of each tile in it. */
export interface GridShape {
  columns: number;
  rows: number;
  tileWidth: number;
  tileHeight: number;
  /** True when the tiles need more height than the area has (many tiles). */
  scrolls: boolean;
}

/** The area and the constraints on tiles. */
export interface GridArea {
  width: number;
  height: number;
  /** Pixels between tiles. */
  gap?: number;
  /** Narrowest tile shape, width / height (default 4:3). */
  minAspect?: number;
  /** Widest tile shape, width / height (default 16:9). */
  maxAspect?: number;
  /** Below this width tiles stop shrinking and the grid scrolls (default 160). */
  minTileWidth?: number;
}

function tileIn(
  cellW: number,
  cellH: number,
  minAspect: number,
  maxAspect: number,
): [number, number] {
  const w = Math.min(cellW, cellH * maxAspect);
  const h = Math.min(cellH, w / minAspect);
  return [Math.floor(w), Math.floor(h)];
}

/**
 * Chooses the column count that gives the largest tiles for `count` tiles
 * in the area; near ties go to the grid whose outline best matches the
 * area. When even the
 * best tiles would be narrower than `minTileWidth`, the grid keeps that
 * width, fills the rows and scrolls.
 */
export function gridShape(count: number, area: GridArea): GridShape {
  const gap = area.gap ?? 8;
  const minAspect = area.minAspect ?? 4 / 3;
  const maxAspect = area.maxAspect ?? 16 / 9;
  const minWidth = area.minTileWidth ?? 160;
  const n = Math.max(1, count);
  let best: GridShape | null = null;
  let bestArea = -1;
  let bestFit = Infinity;
  const areaAspect = area.width / Math.max(1, area.height);
  for (let columns = 1; columns <= n; columns++) {
    const rows = Math.ceil(n / columns);
    const cellW = (area.width - gap * (columns - 1)) / columns;
    const cellH = (area.height - gap * (rows - 1)) / rows;
    if (cellW <= 0 || cellH <= 0) continue;
    const [w, h] = tileIn(cellW, cellH, minAspect, maxAspect);
    // How far the grid's outline is from the area's shape: a grid that
    // spreads over the whole area beats a thin column of the same tiles.
    const fit = Math.abs(
      Math.log((columns * w) / Math.max(1, rows * h) / areaAspect),
    );
    // Tiles within 5 % of the largest count as equal; then the fit decides.
    const better = w * h > bestArea * 1.05 ||
      (w * h >= bestArea * 0.95 && fit < bestFit);
    if (better) {
      best = { columns, rows, tileWidth: w, tileHeight: h, scrolls: false };
      bestArea = Math.max(bestArea, w * h);
      bestFit = fit;
    }
  }
  if (best && best.tileWidth >= minWidth) return best;
  // Too many for the area: fixed small tiles, as many per row as fit.
  const columns = Math.max(
    1,
    Math.min(n, Math.floor((area.width + gap) / (minWidth + gap))),
  );
  const tileWidth = Math.max(
    1,
    Math.floor(Math.min(
      (area.width - gap * (columns - 1)) / columns,
      minWidth * 1.25,
    )),
  );
  const tileHeight = Math.floor(tileWidth / minAspect);
  const rows = Math.ceil(n / columns);
  return {
    columns,
    rows,
    tileWidth,
    tileHeight,
    scrolls: rows * tileHeight + (rows - 1) * gap > area.height,
  };
}
