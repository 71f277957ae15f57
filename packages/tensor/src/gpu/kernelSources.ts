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

export const crossEntropyGradSource = `
function(x, labels, scale) {
  var i = this.thread.y;${rowMax}
  var hit = 0.0;
  if (Math.abs(labels[0][i] - this.thread.x) < 0.5) { hit = 1.0; }
  var p = Math.exp(x[i][this.thread.x] - m) / s;
  if (p < ${PROBABILITY_FLUSH}) { p = 0.0; }
  return (p - hit) * scale;
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
