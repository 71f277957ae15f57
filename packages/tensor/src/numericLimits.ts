// The numeric cut-offs every backend applies, in one place. scripts/build-wasm.mjs copies them
// into assembly/numericLimits.generated.ts for the WebAssembly kernels, and the gpu kernel sources
// interpolate them, so the cpu (WebAssembly and TypeScript) and gpu backends agree by construction.
//
// Why any cut-off: x86 CPUs take 10–60× longer on subnormal floats (below 1.2e-38 in float32;
// measured: a 128×784·784×512 product 3.2 ms → 205 ms), and WebAssembly has no flush-to-zero mode.
// Values that decay geometrically never leave the subnormal range on their own (0.9 times the
// smallest subnormal rounds back to it), so they are cut to 0 well above it.

/**
 * Adam state (the moments m, v and the decay powers β1^t, β2^t) below this becomes 0. After ~830
 * steps every β1^t entry would otherwise be subnormal, slowing training ~40% from the third MNIST
 * epoch on; 1 − β^t is exactly 1 in float32 long before β^t reaches 1e-30, so nothing changes.
 */
export const ADAM_STATE_FLUSH = 1e-30;

/**
 * Gradients below this count as 0 in Adam: their update would be under lr·1e-16/ε, and their
 * square (in v) would be subnormal.
 */
export const ADAM_GRAD_FLUSH = 1e-16;

/**
 * Softmax probabilities below this become 0: once the net is confident they would end up
 * subnormal, directly or in the gradients computed from them. Against a row sum ≥ 1 such a value
 * is far below float32 resolution, so neither the loss nor any useful gradient changes.
 */
export const PROBABILITY_FLUSH = 1e-20;
