/**
 * The video grid's shape: how many columns make the tiles largest for a
 * given count and area. Pure, so tested without a browser.
 *
 * @module
 */

/** A grid shape and the size of each tile in it. */
export interface GridShape {
  columns: number;
  rows: number;
  tileWidth: number;
  tileHeight: number;
}

/**
 * Chooses the column count that gives the largest tiles of `aspect`
 * (width / height) for `count` tiles in `width`×`height` with `gap` pixels
 * between them.
 */
export function gridShape(
  count: number,
  area: { width: number; height: number; gap?: number; aspect?: number },
): GridShape {
  const gap = area.gap ?? 8;
  const aspect = area.aspect ?? 16 / 9;
  const n = Math.max(1, count);
  let best: GridShape = { columns: 1, rows: n, tileWidth: 0, tileHeight: 0 };
  for (let columns = 1; columns <= n; columns++) {
    const rows = Math.ceil(n / columns);
    const w = (area.width - gap * (columns - 1)) / columns;
    const h = (area.height - gap * (rows - 1)) / rows;
    if (w <= 0 || h <= 0) continue;
    // Fit a tile of the right aspect inside the cell.
    const tileWidth = Math.floor(Math.min(w, h * aspect));
    const tileHeight = Math.floor(tileWidth / aspect);
    if (tileWidth > best.tileWidth) {
      best = { columns, rows, tileWidth, tileHeight };
    }
  }
  return best;
}
