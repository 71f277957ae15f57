// Test-only: a 784-h-10 MLP training step (forward, backward, Adam on every parameter) built from
// the package's ops, as the trainer runs it. Not exported from the package.
import type { Backend } from '../backend.js';
import { addBias, reluBackward } from '../ops/activation.js';
import { adamUpdate } from '../ops/adamUpdate.js';
import { matmul, sparseMatmul, sparseTransposeMatmul } from '../ops/matmul.js';
import { columnSums } from '../ops/reduce.js';
import { softmaxCrossEntropy } from '../ops/softmaxCrossEntropy.js';
import { SparseRows } from '../sparseRows.js';
import { fromArray, Tensor } from '../tensor.js';
import { randomValues } from './backends.js';

export interface TrainingStep {
  /** Runs one step on batch `batch` (a seed for its MNIST-like bytes); returns the loss. */
  step(batch: number): number;
  /** w1, b1, w2, b2 as they are now. */
  params(): Float32Array[];
  dispose(): void;
}

/** Bytes ~80% zeros like MNIST pixels, and labels 0..9, from a seed. */
export function syntheticBatch(rows: number, cols: number, seed: number) {
  const bytes = Uint8Array.from(randomValues(rows * cols, seed), (v) =>
    v > 0.6 ? Math.floor((v - 0.6) * 637) : 0,
  );
  const labels = Array.from({ length: rows }, (_, i) => (i * 7 + seed) % 10);
  return { bytes, labels };
}

export function trainingStep(backend: Backend, rows: number, hidden: number): TrainingStep {
  const k = 784;
  const x = new SparseRows(backend);
  const param = (shape: number[], seed: number, s: number) =>
    fromArray(
      backend,
      randomValues(
        shape.reduce((a, b) => a * b),
        seed,
      ).map((v) => v * s),
      shape,
    );
  const params = [
    param([k, hidden], 2, 0.05),
    param([hidden], 3, 0.01),
    param([hidden, 10], 4, 0.1),
    param([10], 5, 0.01),
  ];
  const grads = params.map((p) => new Tensor(backend, p.shape));
  const state = params.map((p) =>
    [0, 0, 1, 1].map((v) => fromArray(backend, new Float32Array(p.size).fill(v), p.shape)),
  );
  const [w1, b1, w2, b2] = params;
  const [dw1, db1, dw2, db2] = grads;
  const a1 = new Tensor(backend, [rows, hidden]);
  const z2 = new Tensor(backend, [rows, 10]);
  const dz2 = new Tensor(backend, [rows, 10]);
  const da1 = new Tensor(backend, [rows, hidden]);
  const hp = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };
  const temporaries = [a1, z2, dz2, da1, ...grads, ...state.flat()];
  const batches = new Map<number, ReturnType<typeof syntheticBatch>>();
  return {
    step(batch) {
      if (!batches.has(batch)) batches.set(batch, syntheticBatch(rows, k, batch));
      const { bytes, labels } = batches.get(batch)!;
      x.set(bytes, rows, k);
      sparseMatmul(x, w1, a1);
      addBias(a1, b1, { out: a1, relu: true });
      matmul(a1, w2, { out: z2 });
      addBias(z2, b2, { out: z2 });
      const loss = softmaxCrossEntropy(z2, labels, { grad: dz2 });
      matmul(a1, dz2, { transA: true, out: dw2 });
      columnSums(dz2, { out: db2 });
      matmul(dz2, w2, { transB: true, out: da1 });
      reluBackward(da1, a1, da1);
      columnSums(da1, { out: db1 });
      sparseTransposeMatmul(x, da1, dw1);
      params.forEach((p, i) => {
        adamUpdate(p, grads[i], state[i][0], state[i][1], state[i][2], state[i][3], hp);
      });
      return loss;
    },
    params: () => params.map((p) => p.toArray()),
    dispose() {
      for (const t of [...params, ...temporaries]) t.dispose();
      x.dispose();
    },
  };
}
