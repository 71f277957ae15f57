import type { GpuKernel, GpuKernelInternals, GpuTexture } from './gpuJsTypes.js';

/** A tensor's values on the GPU. */
export interface GpuStorage {
  rows: number;
  cols: number;
  /** The texture that holds the values; null until first computed, and once freed. */
  front: GpuTexture | null;
  /**
   * A second texture, made on the first op that reads the tensor it writes (Adam's moments, an
   * in-place ReLU backward): GL cannot sample the texture it renders into, so such an op
   * renders here and the two swap.
   */
  back: GpuTexture | null;
  /** Values written by the host and not uploaded yet. */
  host: Float32Array | null;
}

/** Counts textures this backend made, so tests can check that a training step makes none. */
export interface TextureCounter {
  allocated: number;
}

/**
 * Runs a gpu.js kernel so that it renders into a texture `out` owns, reusing it on every run.
 *
 * gpu.js's own pipeline mode hands out a kernel-owned texture: a mutable kernel overwrites it on
 * its next run, whoever still holds it, and an immutable kernel makes a new texture per run.
 * The first breaks any value kept across ops; the second allocates and frees a texture per op,
 * which (measured with Mesa) grew RSS by ~500 MB within 500 small training steps, glibc
 * keeping the freed texture memory. So each tensor owns its texture(s), allocated once, and the
 * kernel's render target is pointed at the right one for each run.
 */
export function renderInto(
  fn: GpuKernel,
  args: unknown[],
  out: GpuStorage,
  readsOut: boolean,
  counter: TextureCounter,
): void {
  let inner = fn.kernel;
  let spare: GpuTexture | null = null;
  if (!inner.built) {
    // Compiling sizes the output and makes the kernel's own texture, which `out` may take.
    inner.build(...args);
    spare = inner.texture;
    forget(inner, spare);
  }
  let target = readsOut ? out.back : out.front;
  if (target && !sameSize(target.size, inner.texSize!)) {
    target.delete();
    target = null;
  }
  if (!target) {
    target = spare ?? allocateTexture(inner);
    if (!spare) counter.allocated++;
    spare = null;
  }
  spare?.delete();

  inner.texture = target;
  inner._textureSwitched = true;
  fn(...args);
  inner = fn.kernel;
  if (inner.texture !== target) {
    throw new Error('gpu.js rendered into a texture other than the one it was given');
  }
  // Between runs a kernel holds no tensor's texture, so destroying a kernel frees no tensor.
  inner.texture = null;
  if (readsOut) {
    out.back = out.front;
    out.front = target;
  } else {
    out.front = target;
  }
}

/** A float texture of the size `kernel` renders (one value per texel, as gpu.js lays it out). */
function allocateTexture(kernel: GpuKernelInternals): GpuTexture {
  const gl = kernel.context!;
  const [width, height] = [kernel.texSize![0], kernel.texSize![1]];
  const texture = gl.createTexture();
  // gpu.js's own scratch unit; every kernel rebinds its argument units on each run.
  gl.activeTexture(gl.TEXTURE15);
  gl.bindTexture(gl.TEXTURE_2D, texture);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
  const format = kernel.getTextureFormat();
  gl.texImage2D(gl.TEXTURE_2D, 0, kernel.getInternalFormat(), width, height, 0, format, gl.FLOAT, null);
  return new kernel.TextureConstructor({
    texture,
    size: Int32Array.from([width, height]),
    dimensions: kernel.threadDim,
    output: kernel.output,
    context: gl,
    internalFormat: kernel.getInternalFormat(),
    textureFormat: format,
    kernel,
  });
}

/** Takes a texture out of the kernel's cache, which the kernel would delete when destroyed. */
function forget(kernel: GpuKernelInternals, texture: GpuTexture | null): void {
  if (!texture) return;
  const index = kernel.textureCache.indexOf(texture.texture);
  if (index !== -1) kernel.textureCache.splice(index, 1);
}

function sameSize(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  return a[0] === b[0] && a[1] === b[1];
}
