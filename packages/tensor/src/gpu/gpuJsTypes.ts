// Minimal structural types for the parts of gpu.js that the gpu backend uses. gpu.js is an
// optional dependency, so nothing here may import it; the version is pinned (2.24.1) because the
// backend drives a kernel's render target, which is not public API (see renderTarget.ts).

/** A gpu.js output texture (GLTextureFloat2D with `precision: 'single'`). */
export interface GpuTexture {
  /** The WebGL texture object. */
  texture: unknown;
  /** Texture size in texels: [width, height]. */
  size: ArrayLike<number>;
  toArray(): Float32Array | Float32Array[];
  delete(): void;
}

/** The built kernel behind a gpu.js kernel function (`kernelFunction.kernel`). */
export interface GpuKernelInternals {
  built: boolean;
  /** Compiles for these arguments (sizes the output, makes the kernel's own texture). */
  build(...args: unknown[]): void;
  /** The texture the next run renders into. */
  texture: GpuTexture | null;
  /** Makes the next run attach `texture` to its framebuffer. */
  _textureSwitched: boolean;
  texSize: ArrayLike<number> | null;
  threadDim: ArrayLike<number>;
  output: ArrayLike<number>;
  context: WebGLRenderingContext | null;
  textureCache: unknown[];
  TextureConstructor: new (settings: Record<string, unknown>) => GpuTexture;
  getInternalFormat(): number;
  getTextureFormat(): number;
}

/** A compiled gpu.js kernel function (pipeline mode: it returns its output texture). */
export type GpuKernel = ((...args: unknown[]) => GpuTexture) & {
  kernel: GpuKernelInternals;
  destroy?: (removeCanvasReference?: boolean) => void;
};

export interface GpuJsModule {
  GPU: new (settings: Record<string, unknown>) => GpuInstance;
  Input: new (data: Float32Array, size: number[]) => unknown;
}

export interface GpuInstance {
  createKernel(source: string, settings: Record<string, unknown>): GpuKernel;
  /** A GLSL function kernels may call (gpu.js passes it to every kernel's shader). */
  addNativeFunction(name: string, source: string, settings?: Record<string, unknown>): unknown;
  destroy(): void;
  mode?: string;
}
