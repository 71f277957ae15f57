// Test-only shorthand: the backend probe's 784-h-10 training step (probeStep.ts), as tests call it.
import type { Backend } from '../backend.js';
import { type ProbeStep, probeStep } from '../probeStep.js';

export { syntheticBatch } from '../probeStep.js';
export type TrainingStep = ProbeStep;

export function trainingStep(backend: Backend, rows: number, hidden: number): TrainingStep {
  return probeStep(backend, { batchSize: rows, hidden });
}
