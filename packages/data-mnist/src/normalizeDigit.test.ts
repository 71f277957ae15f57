import { describe, expect, it } from 'vitest';
import { loadBundledMnist } from './bundledMnist.js';
import { ImageFormatError } from './errors.js';
import { normalizeDigit } from './normalizeDigit.js';
import type { GrayImage } from './readImage.js';

/** An MNIST digit drawn the way a person would: dark on white, `zoom`× larger, off centre. */
function drawnAsPerson(digit: Uint8Array, zoom: number, margin: [number, number]): GrayImage {
  const [width, height] = [28 * zoom + margin[0] + 7, 28 * zoom + margin[1] + 3];
  const pixels = new Float32Array(width * height).fill(1);
  for (let y = 0; y < 28 * zoom; y++)
    for (let x = 0; x < 28 * zoom; x++)
      pixels[(y + margin[1]) * width + x + margin[0]] =
        1 - digit[Math.floor(y / zoom) * 28 + Math.floor(x / zoom)] / 255;
  return { width, height, pixels };
}

const inkBox = (b: Uint8Array) => {
  const rows = [...Array(28).keys()].filter((y) => b.subarray(y * 28, y * 28 + 28).some((v) => v > 0));
  const cols = [...Array(28).keys()].filter((x) => rows.some((y) => b[y * 28 + x] > 0));
  return { h: rows[rows.length - 1] - rows[0] + 1, w: cols[cols.length - 1] - cols[0] + 1 };
};
const centreOfMass = (b: Uint8Array) => {
  let [m, x, y] = [0, 0, 0];
  b.forEach((v, i) => {
    m += v;
    x += v * (i % 28);
    y += v * Math.floor(i / 28);
  });
  return [x / m, y / m];
};

describe('normalizeDigit', async () => {
  const mnist = await loadBundledMnist();
  const digits = Array.from({ length: 20 }, (_, k) => mnist.test.images.subarray(k * 784, (k + 1) * 784));

  it("gives MNIST's own digits back (the same place; faint pixels under 1/32 of the ink dropped)", () => {
    for (const digit of digits) {
      const out = normalizeDigit({ width: 28, height: 28, pixels: Float32Array.from(digit, (v) => v / 255) });
      let diff = 0;
      for (let i = 0; i < 784; i++) diff += Math.abs(out[i] - digit[i]);
      expect(diff / 784).toBeLessThan(0.25);
    }
  });

  it('turns a large dark-on-light drawing back into (nearly) the MNIST digit it was', () => {
    for (const digit of digits) {
      const out = normalizeDigit(drawnAsPerson(digit, 5, [13, 40]), 'digit.png');
      let diff = 0;
      for (let i = 0; i < 784; i++) diff += Math.abs(out[i] - digit[i]);
      // The same digit, re-anti-aliased: on average within a few grey levels per pixel.
      expect(diff / 784).toBeLessThan(12);
    }
  });

  it('fits the ink into 20×20 and puts its centre of mass at the centre, either polarity', () => {
    for (const digit of digits.slice(0, 5)) {
      const light = drawnAsPerson(digit, 3, [2, 9]);
      const dark = { ...light, pixels: light.pixels.map((v) => 1 - v) };
      const a = normalizeDigit(light);
      expect(normalizeDigit(dark)).toEqual(a);
      const { w, h } = inkBox(a);
      expect(Math.max(w, h)).toBeGreaterThanOrEqual(20);
      expect(Math.max(w, h)).toBeLessThanOrEqual(21);
      for (const c of centreOfMass(a)) expect(Math.abs(c - 14)).toBeLessThanOrEqual(0.5);
    }
  });

  it('scales a tiny digit up, keeping its aspect ratio', () => {
    // A 3 wide, 6 high bar on a grey background.
    const [width, height] = [12, 10];
    const pixels = new Float32Array(width * height).fill(0.8);
    for (let y = 2; y < 8; y++) for (let x = 4; x < 7; x++) pixels[y * width + x] = 0.1;
    const out = normalizeDigit({ width, height, pixels });
    expect(inkBox(out)).toEqual({ w: 10, h: 20 });
    expect(Math.max(...out)).toBe(255);
  });

  it('refuses a blank image', () => {
    const blank = { width: 9, height: 9, pixels: new Float32Array(81).fill(0.5) };
    expect(() => normalizeDigit(blank, 'empty.png')).toThrow(ImageFormatError);
    expect(() => normalizeDigit(blank, 'empty.png')).toThrow('empty.png: blank image: no digit to classify');
  });
});
