import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { ImageFormatError } from './errors.js';
import { decodeImage } from './readImage.js';

const W = 5;
const H = 3;
const gray = (x: number, y: number) => (x * 40 + y * 60) % 256;

function png(colorType: 0 | 2 | 6, alphaOf: (x: number, y: number) => number = () => 255): Uint8Array {
  const image = new PNG({ width: W, height: H, colorType, inputColorType: 6, inputHasAlpha: true });
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      image.data.set([gray(x, y), gray(x, y), gray(x, y), alphaOf(x, y)], 4 * (y * W + x));
  return PNG.sync.write(image, { colorType, inputColorType: 6, inputHasAlpha: true });
}

const expected = Float32Array.from({ length: W * H }, (_, i) => gray(i % W, Math.floor(i / W)) / 255);

describe('decodeImage', () => {
  it.each([
    ['grayscale', 0],
    ['RGB', 2],
    ['RGBA', 6],
  ] as const)('reads a %s PNG as luminance in [0, 1]', (_, colorType) => {
    const image = decodeImage(png(colorType), 'x.png');
    expect([image.width, image.height]).toEqual([W, H]);
    for (let i = 0; i < W * H; i++) expect(image.pixels[i]).toBeCloseTo(expected[i], 2);
  });

  it('lays transparency over white', () => {
    const image = decodeImage(
      png(6, (x) => (x === 0 ? 0 : 255)),
      'x.png',
    );
    expect(image.pixels[0]).toBe(1); // fully transparent → white
    expect(image.pixels[1]).toBeCloseTo(expected[1], 2);
  });

  it('reads binary PGM (8 and 16 bit) and text PGM with comments', () => {
    const header = (magic: string, max: number) =>
      new TextEncoder().encode(`${magic}\n# made by a test\n${W} ${H}\n${max}\n`);
    const p5 = new Uint8Array([...header('P5', 255), ...Array.from(expected, (v) => Math.round(v * 255))]);
    const wide = Array.from(expected, (v) => Math.round(v * 65535)).flatMap((v) => [v >> 8, v & 255]);
    const p5wide = new Uint8Array([...header('P5', 65535), ...wide]);
    const p2 = new TextEncoder().encode(
      `P2 ${W} ${H} 255 # comment\n${Array.from(expected, (v) => Math.round(v * 255)).join(' ')}\n`,
    );
    for (const bytes of [p5, p5wide, p2]) {
      const image = decodeImage(bytes, 'x.pgm');
      expect([image.width, image.height]).toEqual([W, H]);
      for (let i = 0; i < W * H; i++) expect(image.pixels[i]).toBeCloseTo(expected[i], 4);
    }
  });

  it.each([
    [
      'a text file',
      new TextEncoder().encode('hello world'),
      /^notes\.txt: not a PNG or PGM image \(it starts with bytes 68 65 6c 6c\)$/,
    ],
    ['an empty file', new Uint8Array(0), /not a PNG or PGM image \(it starts with bytes \(empty file\)\)/],
    ['a truncated PNG', png(0).subarray(0, 30), /^notes\.txt: corrupt PNG/],
    [
      'a truncated binary PGM',
      new TextEncoder().encode('P5 4 4 255\n\x01\x02'),
      /holds 2 bytes of pixels, 16 expected \(truncated\)/,
    ],
    ['a truncated text PGM', new TextEncoder().encode('P2 2 2 255 1 2 3'), /holds 3 pixels, 4 expected/],
    [
      'a PGM with a bad header',
      new TextEncoder().encode('P5 x 4 255\n'),
      /PGM header: expected a number at byte 3/,
    ],
  ])('refuses %s with a one-line error naming the file', (_, bytes, message) => {
    expect(() => decodeImage(bytes, 'notes.txt')).toThrow(ImageFormatError);
    expect(() => decodeImage(bytes, 'notes.txt')).toThrow(message);
  });
});
