// gpu.js kernel bodies as source strings: gpu.js parses function source, so these must stay
// plain ES5 untouched by the bundler. Every matrix is 2-D: x = column, y = row.
import { ADAM_GRAD_FLUSH, ADAM_STATE_FLUSH, PROBABILITY_FLUSH } from '../numericLimits.js';

export const matmulSource = (transA: boolean, transB: boolean, accumulate: boolean): string => `
function(a, b${accumulate ? ', c' : ''}) {
  var i = this.thread.y; var j = this.thread.x; var s = 0.0;
  for (var p = 0; p < this.constants.k; p++) {
    s += ${transA ? 'a[p][i]' : 'a[i][p]'} * ${transB ? 'b[j][p]' : 'b[p][j]'};
  }
  return ${accumulate ? 'c[i][j] + s' : 's'};
}`;

export const addBiasSource = (relu: boolean): string => `
function(x, bias) {
  var s = x[this.thread.y][this.thread.x] + bias[0][this.thread.x];
  return ${relu ? 'Math.max(s, 0.0)' : 's'};
}`;

export const reluSource = 'function(x) { return Math.max(x[this.thread.y][this.thread.x], 0.0); }';

export const reluBackwardSource = `
function(dy, y) {
  if (y[this.thread.y][this.thread.x] > 0.0) { return dy[this.thread.y][this.thread.x]; }
  return 0.0;
}`;

export const linearSource = `
function(a, b, alpha, beta) {
  return alpha * a[this.thread.y][this.thread.x] + beta * b[this.thread.y][this.thread.x];
}`;

export const fillSource = 'function(value) { return value; }';

const rowMax = `
  var m = x[i][0];
  for (var j = 1; j < this.constants.cols; j++) { m = Math.max(m, x[i][j]); }
  var s = 0.0;
  for (var j2 = 0; j2 < this.constants.cols; j2++) { s += Math.exp(x[i][j2] - m); }`;

export const softmaxSource = `
function(x) {
  var i = this.thread.y;${rowMax}
  var p = Math.exp(x[i][this.thread.x] - m) / s;
  if (p < ${PROBABILITY_FLUSH}) { p = 0.0; }
  return p;
}`;

/** (softmax − target)·scale, the target (1 − smoothing)·one-hot + smoothing/classes. */
export const crossEntropyGradSource = `
function(x, labels, scale, smoothing) {
  var i = this.thread.y;${rowMax}
  var hit = 0.0;
  if (Math.abs(labels[0][i] - this.thread.x) < 0.5) { hit = 1.0; }
  var p = Math.exp(x[i][this.thread.x] - m) / s;
  if (p < ${PROBABILITY_FLUSH}) { p = 0.0; }
  return (p - ((1.0 - smoothing) * hit + smoothing / this.constants.cols)) * scale;
}`;

export const crossEntropyLossSource = `
function(x, labels) {
  var i = this.thread.x;${rowMax}
  var picked = 0.0;
  for (var j3 = 0; j3 < this.constants.cols; j3++) {
    if (Math.abs(labels[0][i] - j3) < 0.5) { picked = x[i][j3]; }
  }
  return Math.log(s) - (picked - m);
}`;

/**
 * Running sums of a loss head, a rows' capacity × 2 tensor: column 0 adds each row's
 * cross-entropy, column 1 its hit (argmax = label, the first of equal maxima as on the cpu);
 * rows beyond this batch's `constants.rows` keep their sums.
 */
export const lossSumsSource = `
function(x, labels, prev) {
  var i = this.thread.y;
  if (i >= this.constants.rows) { i = this.constants.rows - 1; }${rowMax}
  var picked = 0.0;
  var best = 0;
  var v = x[i][0];
  for (var j3 = 0; j3 < this.constants.cols; j3++) {
    if (Math.abs(labels[0][i] - j3) < 0.5) { picked = x[i][j3]; }
    if (x[i][j3] > v) { v = x[i][j3]; best = j3; }
  }
  var add = Math.log(s) - (picked - m);
  if (this.thread.x > 0) {
    add = 0.0;
    if (Math.abs(labels[0][i] - best) < 0.5) { add = 1.0; }
  }
  if (this.thread.y >= this.constants.rows) { add = 0.0; }
  return prev[this.thread.y][this.thread.x] + add;
}`;

/** Column `constants.col` of x as one row (a batch's labels, uploaded with its images). */
export const columnSource = 'function(x) { return x[this.thread.x][this.constants.col]; }';

export const columnSumsSource = (accumulate: boolean): string => `
function(x${accumulate ? ', prev' : ''}) {
  var s = 0.0;
  for (var i = 0; i < this.constants.rows; i++) { s += x[i][this.thread.x]; }
  return ${accumulate ? 'prev[0][this.thread.x] + s' : 's'};
}`;

export const argmaxSource = `
function(x) {
  var best = 0; var v = x[this.thread.x][0];
  for (var j = 1; j < this.constants.cols; j++) {
    if (x[this.thread.x][j] > v) { v = x[this.thread.x][j]; best = j; }
  }
  return best;
}`;

// Tiny gradients and state flush to 0 as in the cpu kernels (numericLimits.ts says why).
export const adamMomentSource = `
function(m, g, beta, squared) {
  var gv = g[this.thread.y][this.thread.x];
  if (Math.abs(gv) < ${ADAM_GRAD_FLUSH}) { gv = 0.0; }
  if (squared > 0.5) { gv = gv * gv; }
  var mv = beta * m[this.thread.y][this.thread.x] + (1.0 - beta) * gv;
  if (Math.abs(mv) < ${ADAM_STATE_FLUSH}) { mv = 0.0; }
  return mv;
}`;

export const adamDecaySource = `
function(c, beta) {
  var cv = c[this.thread.y][this.thread.x] * beta;
  if (cv < ${ADAM_STATE_FLUSH}) { cv = 0.0; }
  return cv;
}`;

export const adamParamSource = `
function(p, m, v, c1, c2, lr, eps, decay) {
  var y = this.thread.y; var x = this.thread.x;
  var pv = p[y][x] - lr * decay * p[y][x];
  var mhat = m[y][x] / (1.0 - c1[y][x]);
  var vhat = v[y][x] / (1.0 - c2[y][x]);
  return pv - lr * mhat / (Math.sqrt(vhat) + eps);
}`;

export const copySource = 'function(x) { return x[this.thread.y][this.thread.x]; }';

export const rowSumSquaresSource = `
function(x) {
  var s = 0.0;
  for (var j = 0; j < this.constants.cols; j++) { s += x[this.thread.x][j] * x[this.thread.x][j]; }
  return s;
}`;

// Four values a texel (RGBA): a matrix op(x) of rows × cols is held as rows × ⌈cols/4⌉ texels, and
// the product's fragment computes four output columns from one vec4 of A and four of B (mad4, a
// native GLSL function). Measured on an NVIDIA H200: 108–112 GFLOP/s against 28–29 for one value a
// texel (bench/gpu-formulations.mjs); on Mesa llvmpipe 10–12 against 2–3.

/** GLSL for the product's inner step: acc + a.x·b0 + a.y·b1 + a.z·b2 + a.w·b3. */
export const MAD4_NAME = 'mad4';
export const mad4Source =
  'vec4 mad4(vec4 acc, vec4 a, vec4 b0, vec4 b1, vec4 b2, vec4 b3) { return acc + a.x * b0 + a.y * b1 + a.z * b2 + a.w * b3; }';

/**
 * op(x) packed four columns a texel; `constants.cols` = op(x)'s columns, `constants.rows` its
 * rows: entries beyond either (the last texel's spare lanes, B's padding rows up to a multiple of
 * 4) are 0, so the product adds nothing for them.
 */
export const packSource = (transpose: boolean): string => `
function(x) {
  var i = this.thread.y; var j = this.thread.x * 4;
  var v0 = 0.0; var v1 = 0.0; var v2 = 0.0; var v3 = 0.0;
  if (i < this.constants.rows) {
    if (j < this.constants.cols) { v0 = ${transpose ? 'x[j][i]' : 'x[i][j]'}; }
    if (j + 1 < this.constants.cols) { v1 = ${transpose ? 'x[j + 1][i]' : 'x[i][j + 1]'}; }
    if (j + 2 < this.constants.cols) { v2 = ${transpose ? 'x[j + 2][i]' : 'x[i][j + 2]'}; }
    if (j + 3 < this.constants.cols) { v3 = ${transpose ? 'x[j + 3][i]' : 'x[i][j + 3]'}; }
  }
  return [v0, v1, v2, v3];
}`;

/** Packed A (m × k4) times packed B (4·k4 × n4): packed out (m × n4). */
export const matmul4Source = `
function(a, b) {
  var i = this.thread.y; var j = this.thread.x; var s = [0.0, 0.0, 0.0, 0.0];
  for (var q = 0; q < this.constants.k4; q++) {
    s = mad4(s, a[i][q], b[q * 4][j], b[q * 4 + 1][j], b[q * 4 + 2][j], b[q * 4 + 3][j]);
  }
  return s;
}`;

/** A packed matrix back to one value a texel (added to the output's values if `accumulate`). */
export const unpackSource = (accumulate: boolean): string => `
function(p${accumulate ? ', c' : ''}) {
  var v = p[this.thread.y][Math.floor(this.thread.x / 4)];
  var lane = this.thread.x - Math.floor(this.thread.x / 4) * 4;
  var s = v[3];
  if (lane == 0) { s = v[0]; }
  if (lane == 1) { s = v[1]; }
  if (lane == 2) { s = v[2]; }
  return ${accumulate ? 'c[this.thread.y][this.thread.x] + s' : 's'};
}`;
