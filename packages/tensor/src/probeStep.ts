import type { Backend } from './backend.js';
import { LossSums } from './lossSums.js';
import { addBias, reluBackward } from './ops/activation.js';
import { adamUpdate } from './ops/adamUpdate.js';
import { matmul, sparseMatmul, sparseTransposeMatmul } from './ops/matmul.js';
import { columnSums } from './ops/reduce.js';
import { softmaxCrossEntropySums } from './ops/softmaxCrossEntropy.js';
import { Random } from './random.js';
import { SparseRows } from './sparseRows.js';
import { fromArray, Tensor } from './tensor.js';

/** The network and batch a backend probe times: one hidden layer, sparse byte inputs. */
export interface ProbeShape {
  batchSize: number;
  /** Default 784 (MNIST's pixels). */
  inputs?: number;
  /** Default 512. */
  hidden?: number;
  /** Default 10. */
  outputs?: number;
}

/** `shape` with its defaults filled in (784 inputs, 512 hidden, 10 outputs). */
export function fullProbeShape(shape: ProbeShape): Required<ProbeShape> {
  return {
    batchSize: shape.batchSize,
    inputs: shape.inputs ?? 784,
    hidden: shape.hidden ?? 512,
    outputs: shape.outputs ?? 10,
  };
}

/** One training step of an inputs-hidden-outputs MLP on a backend, built from this package's ops. */
export interface ProbeStep {
  /**
   * Queues one step on batch `batch` (a seed for its bytes and labels, which go up together);
   * reads nothing back.
   */
  step(batch: number): void;
  /** The mean loss of the steps since the last call (one read-back on a GPU: a sync). */
  loss(): number;
  /** w1, b1, w2, b2 as they are now. */
  params(): Float32Array[];
  dispose(): void;
}

/** Bytes ~80% zeros like MNIST's pixels, and labels below `classes`, from a seed. */
export function syntheticBatch(rows: number, cols: number, seed: number, classes = 10) {
  const random = new Random(seed);
  const bytes = new Uint8Array(rows * cols);
  for (let i = 0; i < bytes.length; i++) {
    const v = random.uniform(0, 1);
    bytes[i] = v > 0.6 ? Math.floor((v - 0.6) * 637) : 0;
  }
  const labels = Array.from({ length: rows }, (_, i) => (i * 7 + seed) % classes);
  return { bytes, labels };
}

/**
 * A training step as the trainer runs one (sparse first layer, bias + ReLU, softmax
 * cross-entropy, backward, Adam on every parameter) for timing or checking a backend.
 */
export function probeStep(backend: Backend, shape: ProbeShape): ProbeStep {
  const { batchSize: rows, inputs: k, hidden, outputs: classes } = fullProbeShape(shape);
  const random = new Random(1);
  const x = new SparseRows(backend);
  const param = (dims: number[], scale: number) =>
    fromArray(
      backend,
      Float32Array.from({ length: dims.reduce((a, b) => a * b) }, () => random.uniform(-scale, scale)),
      dims,
    );
  const params = [
    param([k, hidden], 0.05),
    param([hidden], 0.01),
    param([hidden, classes], 0.1),
    param([classes], 0.01),
  ];
  const grads = params.map((p) => new Tensor(backend, p.shape));
  const state = params.map((p) =>
    [0, 0, 1, 1].map((v) => fromArray(backend, new Float32Array(p.size).fill(v), p.shape)),
  );
  const [w1, b1, w2, b2] = params;
  const [dw1, db1, dw2, db2] = grads;
  const a1 = new Tensor(backend, [rows, hidden]);
  const z2 = new Tensor(backend, [rows, classes]);
  const dz2 = new Tensor(backend, [rows, classes]);
  const da1 = new Tensor(backend, [rows, hidden]);
  const hp = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };
  const temporaries = [a1, z2, dz2, da1, ...grads, ...state.flat()];
  const sums = new LossSums(backend);
  const batches = new Map<number, ReturnType<typeof syntheticBatch>>();
  return {
    step(batch) {
      if (!batches.has(batch)) batches.set(batch, syntheticBatch(rows, k, batch, classes));
      const { bytes, labels } = batches.get(batch)!;
      x.set(bytes, rows, k, 1 / 255, labels);
      sparseMatmul(x, w1, a1);
      addBias(a1, b1, { out: a1, relu: true });
      matmul(a1, w2, { out: z2 });
      addBias(z2, b2, { out: z2 });
      softmaxCrossEntropySums(z2, x, sums, { grad: dz2 });
      matmul(a1, dz2, { transA: true, out: dw2 });
      columnSums(dz2, { out: db2 });
      matmul(dz2, w2, { transB: true, out: da1 });
      reluBackward(da1, a1, da1);
      columnSums(da1, { out: db1 });
      sparseTransposeMatmul(x, da1, dw1);
      params.forEach((p, i) => {
        adamUpdate(p, grads[i], state[i][0], state[i][1], state[i][2], state[i][3], hp);
      });
    },
    loss() {
      const { loss, rows: seen } = sums.read();
      return loss / Math.max(1, seen);
    },
    params: () => params.map((p) => p.toArray()),
    dispose() {
      for (const t of [...params, ...temporaries]) t.dispose();
      x.dispose();
      sums.dispose();
    },
  };
}

/**
 * Milliseconds per training step of `shape` on `backend`: two untimed steps first (a gpu compiles
 * its kernels then), then up to `steps` timed ones, stopping early once `budgetMs` is spent. The
 * loss is read before the first timed step and after the last, as a training loop reads it every
 * few steps: a GPU's queued work is inside the time.
 */
export function timeProbeSteps(backend: Backend, shape: ProbeShape, steps = 5, budgetMs = 1500): number {
  const run = probeStep(backend, shape);
  try {
    run.step(0);
    run.step(1);
    run.loss();
    let done = 0;
    const started = performance.now();
    while (done < steps && (done === 0 || performance.now() - started < budgetMs)) run.step(2 + (done++ % 2));
    run.loss();
    return (performance.now() - started) / done;
  } finally {
    run.dispose();
  }
}
