import { fill, Tensor } from '@sprout/tensor';
import { type GrowthMap, regrowState, type TrainableParameter } from './parameter.js';

/** Serialisable optimizer state (exact resume). */
export interface OptimizerState {
  /** Which optimizer wrote it ("adam", "sgd"). */
  kind: string;
  step: number;
  /** Per parameter name, its state arrays by slot name (checkpoints store them as float32). */
  slots: Record<string, Record<string, Float32Array>>;
}

/**
 * What the trainer needs of an optimizer: a step, following parameters that grew, and state it
 * can save and restore without knowing which optimizer it is.
 */
export interface Optimizer {
  /** Which optimizer this is; {@link OptimizerState.kind} of its state. */
  readonly kind: string;
  /** The state arrays every parameter has (e.g. Adam's `m`, `v`, …), in a fixed order. */
  readonly slotNames: readonly string[];
  /** Updates applied so far. */
  readonly steps: number;
  /** Applies one update to every parameter from its gradient. */
  step(lr?: number): void;
  /**
   * Follows a parameter that grew (its `value` already replaced): old entries keep their state,
   * new entries start as a fresh optimizer's would.
   */
  grow(param: TrainableParameter, map: GrowthMap, oldShape: readonly number[]): void;
  state(): OptimizerState;
  /**
   * The same state without copying where the backend allows (live views of the cpu backend's
   * memory, `Tensor.peek`): valid only until the next op or allocation, for writing a checkpoint
   * at once (it saves the copies, 4 × 1.6 MB for Adam at 784-512-10). Keep {@link state} otherwise.
   */
  stateViews(): OptimizerState;
  /** Restores {@link Optimizer.state}; checks everything before changing anything. */
  loadState(state: OptimizerState): void;
  /** Frees the state tensors. */
  dispose(): void;
}

/**
 * An optimizer whose state is a few tensors per parameter, each shaped like the parameter, with a
 * fresh value (0 for moments, 1 for decay powers…). Growth, saving, restoring and freeing are the
 * same for all of them; subclasses write only `step`.
 */
export abstract class SlottedOptimizer<Slot extends string> implements Optimizer {
  steps = 0;
  readonly slotNames: readonly Slot[];
  protected readonly slots = new Map<string, Record<Slot, Tensor>>();

  constructor(
    readonly kind: string,
    protected readonly params: TrainableParameter[],
    private readonly fresh: Record<Slot, number>,
  ) {
    this.slotNames = Object.keys(fresh) as Slot[];
    for (const p of params) this.slots.set(p.name, this.freshSlots(p));
  }

  abstract step(lr?: number): void;

  /** The state tensors of `param`. */
  protected slotsOf(param: TrainableParameter): Record<Slot, Tensor> {
    const slots = this.slots.get(param.name);
    if (!slots) throw new Error(`${this.kind}: unknown parameter "${param.name}"`);
    return slots;
  }

  grow(param: TrainableParameter, map: GrowthMap, oldShape: readonly number[]): void {
    const old = this.slotsOf(param);
    const grown = {} as Record<Slot, Tensor>;
    for (const name of this.slotNames)
      grown[name] = regrowState(old[name], param, map, oldShape, this.fresh[name]);
    this.slots.set(param.name, grown);
  }

  state(): OptimizerState {
    return this.collectState((t) => t.toArray());
  }

  stateViews(): OptimizerState {
    return this.collectState((t) => t.peek());
  }

  private collectState(values: (t: Tensor) => Float32Array): OptimizerState {
    const slots: OptimizerState['slots'] = {};
    for (const [param, tensors] of this.slots) {
      slots[param] = {};
      for (const name of this.slotNames) slots[param][name] = values(tensors[name]);
    }
    return { kind: this.kind, step: this.steps, slots };
  }

  loadState(state: OptimizerState): void {
    if (state.kind !== this.kind) throw new Error(`cannot load "${state.kind}" state into ${this.kind}`);
    for (const p of this.params) {
      for (const name of this.slotNames) {
        const saved = state.slots[p.name]?.[name];
        if (!saved || saved.length !== p.value.size)
          throw new Error(
            `optimizer state ${p.name}/${name} is ${saved ? `${saved.length} values, not ${p.value.size}` : 'missing'}`,
          );
      }
    }
    for (const p of this.params) {
      const tensors = this.slotsOf(p);
      for (const name of this.slotNames) tensors[name].set(state.slots[p.name][name]);
    }
    this.steps = state.step;
  }

  dispose(): void {
    for (const tensors of this.slots.values()) for (const name of this.slotNames) tensors[name].dispose();
    this.slots.clear();
  }

  private freshSlots(p: TrainableParameter): Record<Slot, Tensor> {
    const slots = {} as Record<Slot, Tensor>;
    for (const name of this.slotNames)
      slots[name] = fill(new Tensor(p.value.backend, p.value.shape), this.fresh[name]);
    return slots;
  }
}
