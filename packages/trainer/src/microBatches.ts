import type { TrainConfig } from './configTypes.js';
import type { LoopMemory } from './trainingLoop.js';

/** The smallest micro-batch memory advice goes down to. */
const MIN_BATCH = 8;

/**
 * Memory one sample of a batch takes while training, in bytes: its input as floats and as sparse
 * rows, and per layer the activations, their gradients and the ReLU masks (all float32).
 */
export function batchBytesPerSample(widths: readonly number[]): number {
  const [inputs, ...layers] = widths;
  const floats = inputs * 3 + layers.reduce((sum, w) => sum + 3 * w, 0);
  return floats * 4;
}

/**
 * An epoch's micro-batch size and micro-batches per optimizer step. The size follows the memory
 * really left (machine, budget, cgroup), changing only between optimizer steps, and each step
 * keeps the configured samples (configured batch × accumulate) where the sizes divide; every
 * change is reported. Resuming mid-epoch replays the epoch's first samples by samples, not
 * batches, so it lands exactly even if memory changed the size before the interruption.
 */
export class MicroBatches {
  /** The current micro-batch size. */
  size: number;
  /** Micro-batches per optimizer step at the current size. */
  steps: number;
  /** Micro-batches since the last optimizer step. */
  pending = 0;
  private sampled = false;

  constructor(
    private readonly config: TrainConfig,
    size: number,
    private readonly memory: LoopMemory,
    private readonly bytesPerSample: number,
    private readonly say: ((line: string) => void) | undefined,
    /** Samples to replay without training (a run resumed mid-epoch). */
    public toSkip: number,
  ) {
    this.size = size;
    this.steps = this.stepsOf(size);
  }

  /** The next micro-batch's size: a size change only at an optimizer-step boundary. */
  next(): number {
    if (this.toSkip > 0) return Math.min(this.size, this.toSkip);
    if (this.pending !== 0) return this.size;
    if (!this.sampled) {
      this.memory.check(); // a fresh reading at the epoch's start; later ones come as the loop yields
      this.sampled = true;
    }
    const { config, bytesPerSample } = this;
    const next = this.memory.adviseBatchSize(this.size, {
      min: MIN_BATCH,
      max: config.batchSize,
      bytesPerSample,
    });
    if (next !== this.size) {
      const left = this.memory.headroom();
      this.say?.(
        `memory: batch size ${this.size} → ${next} (${(left / 2 ** 20).toFixed(0)} MiB left for training, ~${(bytesPerSample / 1024).toFixed(0)} KiB per sample)` +
          this.stepNote(next),
      );
      this.size = next;
      this.steps = this.stepsOf(next);
    }
    return this.size;
  }

  /** Counts a trained micro-batch; true when it completes an optimizer step. */
  trained(): boolean {
    if (++this.pending < this.steps) return false;
    this.pending = 0;
    return true;
  }

  private stepsOf(size: number): number {
    const { batchSize, accumulate } = this.config;
    return batchSize % size === 0 ? accumulate * (batchSize / size) : accumulate;
  }

  /** What a new micro-batch size does to each optimizer step, for the memory message. */
  private stepNote(next: number): string {
    const { batchSize, accumulate } = this.config;
    const [steps, configured] = [this.stepsOf(next), batchSize * accumulate];
    const perStep = next * steps;
    if (steps !== accumulate || this.steps !== accumulate) {
      if (perStep === configured) return `; ${steps} micro-batches per step keep ${perStep} samples per step`;
      return `; ${steps} micro-batches per step make ${perStep} samples per step (configured ${configured})`;
    }
    if (perStep === configured) return '';
    return `; ${perStep} samples per step (configured ${configured}: ${batchSize} is not a multiple of ${next})`;
  }
}
