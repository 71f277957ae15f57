import { loadBundledMnist } from '@sprout/data-mnist';
import { MemoryWatch } from '@sprout/memwatch';
import { type Backend, CpuBackend, createGpuBackend, GpuBackend } from '@sprout/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from './config.js';
import { runEpoch } from './runEpoch.js';
import { newSession } from './session.js';

// The loop's budget on a GPU: one upload per step (images and labels together) and the loss read
// back at most once a step — in fact every READ_LOSS_EVERY_MS — counted by the backend itself on
// Mesa's software GL (a display is needed: the test script provides one with xvfb-run).
const gpu = await createGpuBackend({ allowSoftwareGl: true }).catch(() => null);
const mnist = await loadBundledMnist({ verify: false });
afterAll(() => gpu?.dispose());

async function oneEpoch(backend: Backend, images: number) {
  const config = resolveConfig({ hidden: [32], batchSize: 64, seed: 3, augment: false, epochs: 1 });
  const session = newSession(backend, config, 784, 10);
  const zero = { loss: 0, correct: 0, seen: 0, seconds: 0 };
  const outcome = await runEpoch({
    session,
    config,
    train: mnist.train,
    trainIndex: Int32Array.from({ length: images }, (_, i) => i),
    epoch: 1,
    learningRate: () => 1e-3,
    skip: 0,
    sums: zero,
    batchSize: config.batchSize,
    memory: new MemoryWatch(),
    hooks: {},
  });
  return { outcome, session };
}

describe.runIf(gpu)('an epoch on the gpu backend', () => {
  it('uploads once and reads back at most once per step, and sums what the cpu sums', async () => {
    const images = 64 * 12;
    // One epoch first: parameters and Adam's state go up, kernels compile.
    await oneEpoch(gpu!, 64);
    const before = gpu!.counters();
    const { outcome } = await oneEpoch(gpu!, images);
    const after = gpu!.counters();
    const steps = outcome.batchesDone;
    expect(steps).toBe(12);
    // A new session's two weight matrices go up once (biases and Adam's slots start as zeros,
    // filled on the GPU), then one upload a step.
    expect(after.uploads - before.uploads).toBe(steps + 2);
    expect(after.readbacks - before.readbacks).toBeLessThanOrEqual(steps);
    expect(after.readbacks - before.readbacks).toBeGreaterThanOrEqual(1);
    const cpu = new CpuBackend({ threads: 1 });
    const { outcome: onCpu } = await oneEpoch(cpu, images);
    cpu.dispose();
    expect(outcome.sums.seen).toBe(images);
    expect(onCpu.sums.seen).toBe(images);
    expect(Math.abs(outcome.sums.loss - onCpu.sums.loss) / onCpu.sums.loss).toBeLessThan(1e-3);
    expect(Math.abs(outcome.sums.correct - onCpu.sums.correct)).toBeLessThanOrEqual(2);
    expect(gpu).toBeInstanceOf(GpuBackend);
  });
});
