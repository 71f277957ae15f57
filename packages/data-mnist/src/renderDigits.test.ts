import { PNG } from 'pngjs';
import { expect, it } from 'vitest';
import { renderDigitGridPng, renderDigitGridSvg } from './renderDigits.js';

const cells = Array.from({ length: 12 }, (_, n) => ({
  image: Uint8Array.from({ length: 784 }, (_, i) => ((i % 28) + n) * 8),
  caption: `${n % 10}`,
  highlight: n === 3,
}));

it('renders a PNG grid of the right size with a red frame on highlighted cells', () => {
  const uncaptioned = cells.map(({ image, highlight }) => ({ image, highlight }));
  const png = PNG.sync.read(Buffer.from(renderDigitGridPng(uncaptioned, { columns: 5, zoom: 2 })));
  const cell = 28 * 2 + 8;
  expect([png.width, png.height]).toEqual([5 * cell, 3 * cell]);
  const at = (x: number, y: number) =>
    Array.from(png.data.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 3));
  expect(at(3 * cell, 0)).toEqual([220, 30, 30]);
  expect(at(0, 0)).toEqual([255, 255, 255]);
});

it('renders an SVG grid with captions', () => {
  const svg = renderDigitGridSvg(cells.slice(0, 2));
  expect(svg).toMatch(/^<svg /);
  expect(svg).toContain('>1</tspan></text>');
  expect(svg.match(/<image /g)?.length).toBe(2);
});

it('gives multi-line captions room and shortens a line too long for its cell', () => {
  const one = renderDigitGridSvg([{ image: cells[0].image, caption: '7' }], { zoom: 2 });
  const two = renderDigitGridSvg([{ image: cells[0].image, caption: 'trousers\ntrue pullover-and-more' }], {
    zoom: 2,
  });
  const height = (svg: string) => Number(/height="(\d+)"/.exec(svg)?.[1]);
  expect(height(two) - height(one)).toBe(13);
  expect(two).toContain('>trousers</tspan>');
  expect(two).toContain('>true pul…</tspan>');
});

it('refuses captions in a PNG (it draws no text) instead of dropping them', () => {
  expect(() => renderDigitGridPng(cells)).toThrow(
    /renderDigitGridPng draws no captions \(cell 0 has one\): use renderDigitGridSvg/,
  );
  expect(renderDigitGridSvg(cells)).toMatch(/>9<\/tspan>/);
});
