import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGpuBackend } from '@sprout/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { BackendLostError } from './errors.js';
import { train } from './trainer.js';

// headless-gl never loses a context, so the loss is injected where a driver reports it: the real
// context's isContextLost() turns true mid-run (everything else is the real gpu backend on Mesa).
const gpu = await createGpuBackend({ allowSoftwareGl: true }).catch(() => null);
gpu?.dispose();

function glContextPrototype(): { isContextLost(): boolean } {
  const fromTensor = createRequire(fileURLToPath(import.meta.resolve('@sprout/tensor')));
  const gpuJs = fromTensor.resolve('gpu.js');
  const createGl = createRequire(gpuJs)(createRequire(gpuJs).resolve('gl', { paths: [dirname(gpuJs)] }));
  return Object.getPrototypeOf(createGl(1, 1));
}

/** Runs `body` with every GL context reporting itself lost once `lost()` says so; restores it after. */
async function withContextLoss(lost: () => boolean, body: () => Promise<void>): Promise<void> {
  const proto = glContextPrototype();
  const original = proto.isContextLost;
  proto.isContextLost = function (this: unknown) {
    return lost() || original.call(this);
  };
  try {
    await body();
  } finally {
    proto.isContextLost = original;
  }
}

describe.runIf(gpu)('a GPU that loses its context mid-run', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  const runDir = async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'sprout-gpu-lost-'));
    dirs.push(outDir);
    return outDir;
  };

  it('stops with a BackendLostError naming the kept checkpoint, which stays the last good one', async () => {
    const outDir = await runDir();
    let lost = false;
    let checkpointAfterEpoch1: Buffer | null = null;
    await withContextLoss(
      () => lost,
      async () => {
        const run = train(
          {
            outDir,
            backend: 'gpu',
            epochs: 3,
            hidden: [32],
            initialHidden: [32],
            trainLimit: 1500,
            devSize: 300,
            testLimit: 300,
            augment: false,
            report: false,
          },
          {
            hooks: {
              onEpoch: (rec) => {
                if (rec.epoch !== 1) return;
                checkpointAfterEpoch1 = readFileSync(join(outDir, 'checkpoint.sprout'));
                lost = true;
              },
            },
          },
        );
        await expect(run).rejects.toThrow(BackendLostError);
        await expect(run).rejects.toThrow(
          /the GPU lost its context \(WebGL reports the context lost\).*in epoch 2; the checkpoint of epoch 1 in .* is kept: run again with --continue-training/,
        );
      },
    );
    expect(checkpointAfterEpoch1).not.toBeNull();
    expect(readFileSync(join(outDir, 'checkpoint.sprout')).equals(checkpointAfterEpoch1!)).toBe(true);
  });

  it('lost before the first checkpoint (evaluating the untrained network), it says there is none to continue', async () => {
    const outDir = await runDir();
    let lost = false;
    await withContextLoss(
      () => lost,
      async () => {
        const run = train(
          {
            outDir,
            backend: 'gpu',
            epochs: 1,
            hidden: [32],
            trainLimit: 1500,
            devSize: 300,
            testLimit: 300,
            report: false,
          },
          {
            hooks: {
              onStart: () => {
                lost = true;
              },
            },
          },
        );
        await expect(run).rejects.toThrow(
          /before the run's first checkpoint: run again \(with --backend cpu/,
        );
      },
    );
    expect(existsSync(join(outDir, 'checkpoint.sprout'))).toBe(false);
  });
});
