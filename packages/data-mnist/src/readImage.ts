import { PNG } from 'pngjs';
import { ImageFormatError } from './errors.js';

/** A grayscale image: `pixels` row by row in [0, 1], 0 black, 1 white. */
export interface GrayImage {
  width: number;
  height: number;
  pixels: Float32Array;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47];

/**
 * Decodes a PNG (any colour type and bit depth) or a PGM (`P2` text or `P5` binary, 8 or 16 bit)
 * into a grayscale image. Colour becomes luminance (Rec. 601 weights); transparency is laid over
 * white, so dark strokes on a transparent canvas stay dark strokes. `source` (a file name) starts
 * every error message.
 *
 * @example
 * ```ts
 * const image = decodeImage(readFileSync('digit.png'), 'digit.png');
 * const input = normalizeDigit(image); // 784 MNIST-style bytes
 * ```
 */
export function decodeImage(bytes: Uint8Array, source = 'image'): GrayImage {
  if (PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return decodePng(bytes, source);
  if (bytes[0] === 0x50 && (bytes[1] === 0x32 || bytes[1] === 0x35)) return decodePgm(bytes, source);
  const start = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new ImageFormatError(
    `${source}: not a PNG or PGM image (it starts with bytes ${start || '(empty file)'})`,
  );
}

function decodePng(bytes: Uint8Array, source: string): GrayImage {
  let png: { width: number; height: number; data: Uint8Array };
  try {
    // Colour types and bit depths are converted to 8-bit RGBA.
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (error) {
    throw new ImageFormatError(`${source}: corrupt PNG (${(error as Error).message})`);
  }
  const { width, height, data } = png;
  const pixels = new Float32Array(width * height);
  for (let i = 0; i < pixels.length; i++) {
    const [r, g, b, a] = [data[4 * i], data[4 * i + 1], data[4 * i + 2], data[4 * i + 3] / 255];
    const luminance = (0.299 * r + 0.587 * g + 0.114 * b) / 255;
    pixels[i] = luminance * a + (1 - a);
  }
  return { width, height, pixels };
}

function decodePgm(bytes: Uint8Array, source: string): GrayImage {
  const binary = bytes[1] === 0x35;
  let at = 2;
  // Header: width, height, maxval, separated by whitespace, with # comments to the end of a line.
  const token = (): number => {
    for (;;) {
      while (at < bytes.length && /\s/.test(String.fromCharCode(bytes[at]))) at++;
      if (bytes[at] !== 0x23) break;
      while (at < bytes.length && bytes[at] !== 0x0a) at++;
    }
    const from = at;
    while (at < bytes.length && bytes[at] >= 0x30 && bytes[at] <= 0x39) at++;
    if (from === at) throw new ImageFormatError(`${source}: PGM header: expected a number at byte ${from}`);
    return Number(new TextDecoder().decode(bytes.subarray(from, at)));
  };
  const [width, height, maxval] = [token(), token(), token()];
  if (width < 1 || height < 1 || maxval < 1 || maxval > 65535)
    throw new ImageFormatError(
      `${source}: PGM header: ${width}×${height}, maxval ${maxval} is not a valid image`,
    );
  const count = width * height;
  const pixels = new Float32Array(count);
  if (binary) {
    at++; // exactly one whitespace byte ends the header
    const wide = maxval > 255;
    const need = count * (wide ? 2 : 1);
    if (bytes.length - at < need)
      throw new ImageFormatError(
        `${source}: PGM holds ${bytes.length - at} bytes of pixels, ${need} expected (truncated)`,
      );
    for (let i = 0; i < count; i++) {
      const v = wide ? (bytes[at + 2 * i] << 8) | bytes[at + 2 * i + 1] : bytes[at + i];
      pixels[i] = Math.min(v, maxval) / maxval;
    }
  } else {
    for (let i = 0; i < count; i++) {
      let v: number;
      try {
        v = token();
      } catch {
        throw new ImageFormatError(`${source}: PGM holds ${i} pixels, ${count} expected (truncated)`);
      }
      pixels[i] = Math.min(v, maxval) / maxval;
    }
  }
  return { width, height, pixels };
}
