import { PNG } from 'pngjs';

/** One cell of a digit grid. */
export interface DigitCell {
  image: Uint8Array;
  /** Shown under the digit, e.g. "7" or "3 (true 5)"; `\n` starts another line. */
  caption?: string;
  /** Draw the cell's border in red (e.g. a wrong prediction). */
  highlight?: boolean;
}

/** Options for the grid renderers. */
export interface DigitGridOptions {
  rows?: number;
  cols?: number;
  columns?: number;
  /** Pixel size of one image pixel. Default 3. */
  zoom?: number;
}

/**
 * A grid of digits as a PNG (dark digits on white, red frame for highlighted cells). It draws no
 * text: cells with a caption are refused ({@link renderDigitGridSvg} draws captions).
 */
export function renderDigitGridPng(cells: DigitCell[], options: DigitGridOptions = {}): Uint8Array {
  // A PNG here has no text: a caption would vanish without a word, so it is refused.
  const captioned = cells.findIndex((c) => c.caption);
  if (captioned !== -1)
    throw new RangeError(
      `renderDigitGridPng draws no captions (cell ${captioned} has one): use renderDigitGridSvg, which draws them, or leave them out`,
    );
  const { rows = 28, cols = 28, columns = 10, zoom = 3 } = options;
  const pad = 4;
  const cw = cols * zoom + 2 * pad;
  const ch = rows * zoom + 2 * pad;
  const gridRows = Math.ceil(cells.length / columns);
  const png = new PNG({ width: columns * cw, height: Math.max(1, gridRows) * ch });
  png.data.fill(255);
  cells.forEach((cell, n) => {
    const ox = (n % columns) * cw;
    const oy = Math.floor(n / columns) * ch;
    for (let y = 0; y < ch; y++)
      for (let x = 0; x < cw; x++) {
        const frame = x < 2 || y < 2 || x >= cw - 2 || y >= ch - 2;
        const i = ((oy + y) * png.width + ox + x) * 4;
        if (frame && cell.highlight) {
          png.data[i] = 220;
          png.data[i + 1] = 30;
          png.data[i + 2] = 30;
        } else if (x >= pad && y >= pad && x < cw - pad && y < ch - pad) {
          const v = 255 - cell.image[Math.floor((y - pad) / zoom) * cols + Math.floor((x - pad) / zoom)];
          png.data[i] = png.data[i + 1] = png.data[i + 2] = v;
        }
      }
  });
  return PNG.sync.write(png);
}

const LINE = 13;
/** Roughly the width of one 11 px sans-serif character, to cut a line that would not fit. */
const CHAR_WIDTH = 6.2;

/**
 * The same grid as SVG: each digit an embedded PNG, with its caption as text under it — as many
 * lines as the longest caption has, each shortened with "…" to its cell's width.
 */
export function renderDigitGridSvg(cells: DigitCell[], options: DigitGridOptions = {}): string {
  const { rows = 28, cols = 28, columns = 10, zoom = 3 } = options;
  const cw = cols * zoom + 8;
  const lines = Math.max(1, ...cells.map((c) => (c.caption ?? '').split('\n').length));
  const captionHeight = lines * LINE + 3;
  const ch = rows * zoom + 8 + captionHeight;
  const fit = Math.max(3, Math.floor((cw - 4) / CHAR_WIDTH));
  const gridRows = Math.max(1, Math.ceil(cells.length / columns));
  const parts = cells.map((cell, n) => {
    const x = (n % columns) * cw;
    const y = Math.floor(n / columns) * ch;
    const png = Buffer.from(
      renderDigitGridPng([{ image: cell.image, highlight: cell.highlight }], {
        rows,
        cols,
        columns: 1,
        zoom,
      }),
    ).toString('base64');
    const text = (cell.caption ?? '')
      .split('\n')
      .map((line, i) => {
        const shown = line.length > fit ? `${line.slice(0, fit - 1)}…` : line;
        return `<tspan x="${cw / 2}" y="${ch - captionHeight + (i + 1) * LINE - 1}">${escapeXml(shown)}</tspan>`;
      })
      .join('');
    return `<g transform="translate(${x},${y})"><image width="${cw}" height="${ch - captionHeight}" href="data:image/png;base64,${png}"/><text font-family="sans-serif" font-size="11" text-anchor="middle" fill="${cell.highlight ? '#c00' : '#333'}">${text}</text></g>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${columns * cw}" height="${gridRows * ch}" viewBox="0 0 ${columns * cw} ${gridRows * ch}"><rect width="100%" height="100%" fill="white"/>${parts.join('')}</svg>`;
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}
