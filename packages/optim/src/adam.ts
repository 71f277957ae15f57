import { adamUpdate, fill, Tensor } from '@sprout/tensor';
import { type GrowthMap, regrowState, type TrainableParameter } from './parameter.js';

/** Adam's hyper-parameters; `weightDecay` > 0 makes it AdamW (decoupled decay). */
export interface AdamOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

interface AdamSlot {
  m: Tensor;
  v: Tensor;
  /** β1^t and β2^t per entry: each entry's own step count, so grown entries start fresh. */
  beta1Power: Tensor;
  beta2Power: Tensor;
}

/** Serialisable optimizer state (exact resume). */
export interface OptimizerState {
  kind: string;
  step: number;
  /** Per parameter name, its state arrays (binary: checkpoints store them as float32). */
  slots: Record<string, Record<string, Float32Array>>;
}

/**
 * Adam with bias correction (Kingma & Ba), fused into one kernel per parameter. Bias correction
 * counts steps per entry, so after growth new units take the step a fresh Adam would take.
 *
 * @example
 * ```ts
 * const adam = new Adam(model.parameters(), { lr: 1e-3 });
 * adam.step();            // after backward
 * adam.grow(param, map);  // after the layer widened
 * ```
 */
export class Adam {
  readonly options: Required<AdamOptions>;
  steps = 0;
  protected slots = new Map<string, AdamSlot>();

  constructor(
    protected params: TrainableParameter[],
    options: AdamOptions = {},
  ) {
    this.options = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, ...options };
    for (const p of params) this.slots.set(p.name, this.freshSlot(p));
  }

  /** Applies one update to every parameter from its gradient. */
  step(lr = this.options.lr): void {
    const { beta1, beta2, eps, weightDecay } = this.options;
    for (const p of this.params) {
      const s = this.slots.get(p.name)!;
      adamUpdate(p.value, p.grad, s.m, s.v, s.beta1Power, s.beta2Power, {
        lr,
        beta1,
        beta2,
        eps,
        weightDecay,
      });
    }
    this.steps++;
  }

  /**
   * Follows a parameter that grew (its `value` already replaced): old entries keep their moments
   * and step counts; new entries start at zero moments and step 0.
   */
  grow(param: TrainableParameter, map: GrowthMap, oldShape: readonly number[]): void {
    const s = this.slots.get(param.name);
    if (!s) throw new Error(`Adam.grow: unknown parameter "${param.name}"`);
    const f = (t: Tensor, fresh: number) => regrowState(t, param, map, oldShape, fresh);
    this.slots.set(param.name, {
      m: f(s.m, 0),
      v: f(s.v, 0),
      beta1Power: f(s.beta1Power, 1),
      beta2Power: f(s.beta2Power, 1),
    });
  }

  /** Replaces the parameter list (e.g. after growth replaced tensors); slots are kept by name. */
  setParameters(params: TrainableParameter[]): void {
    this.params = params;
  }

  state(): OptimizerState {
    const slots: OptimizerState['slots'] = {};
    for (const [name, s] of this.slots) {
      slots[name] = {
        m: s.m.toArray(),
        v: s.v.toArray(),
        beta1Power: s.beta1Power.toArray(),
        beta2Power: s.beta2Power.toArray(),
      };
    }
    return { kind: 'adam', step: this.steps, slots };
  }

  loadState(state: OptimizerState): void {
    if (state.kind !== 'adam') throw new Error(`cannot load "${state.kind}" state into Adam`);
    for (const p of this.params) {
      const saved = state.slots[p.name];
      if (!saved || saved.m.length !== p.value.size) {
        throw new Error(`optimizer state for "${p.name}" is missing or has the wrong size`);
      }
      const s = this.slots.get(p.name)!;
      s.m.set(saved.m);
      s.v.set(saved.v);
      s.beta1Power.set(saved.beta1Power);
      s.beta2Power.set(saved.beta2Power);
    }
    this.steps = state.step;
  }

  dispose(): void {
    for (const s of this.slots.values()) for (const t of Object.values(s)) t.dispose();
    this.slots.clear();
  }

  private freshSlot(p: TrainableParameter): AdamSlot {
    const make = (v: number) => fill(new Tensor(p.value.backend, p.value.shape), v);
    return { m: make(0), v: make(0), beta1Power: make(1), beta2Power: make(1) };
  }
}

/** AdamW: Adam with decoupled weight decay (default 0.01). */
export class AdamW extends Adam {
  constructor(params: TrainableParameter[], options: AdamOptions = {}) {
    super(params, { weightDecay: 0.01, ...options });
  }
}
