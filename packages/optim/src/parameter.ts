import { Tensor } from '@sprout/tensor';

/**
 * What an optimizer needs of a parameter: a stable name, its value and its gradient buffer.
 * `@sprout/layers` parameters satisfy this shape.
 */
export interface TrainableParameter {
  readonly name: string;
  value: Tensor;
  grad: Tensor;
}

/**
 * How a parameter grew: for each row (column) of the new value, the row (column) of the old value
 * it continues, or -1 for a new one. `null` means that axis did not change.
 */
export interface GrowthMap {
  rows: Int32Array | null;
  cols: Int32Array | null;
}

/** Builds the new state array for a grown parameter: old entries kept, new entries = `fresh`. */
export function remapEntries(
  old: Float32Array,
  oldCols: number,
  newRows: number,
  newCols: number,
  map: GrowthMap,
  fresh: number,
): Float32Array {
  const out = new Float32Array(newRows * newCols).fill(fresh);
  for (let r = 0; r < newRows; r++) {
    const or = map.rows ? map.rows[r] : r;
    if (or < 0) continue;
    for (let c = 0; c < newCols; c++) {
      const oc = map.cols ? map.cols[c] : c;
      if (oc >= 0) out[r * newCols + c] = old[or * oldCols + oc];
    }
  }
  return out;
}

/**
 * A state tensor for a grown parameter: entries of old units copied from `old` (which is
 * disposed), new entries set to `fresh`. Vectors (biases) grow along their only axis.
 */
export function regrowState(
  old: Tensor,
  param: TrainableParameter,
  map: GrowthMap,
  oldShape: readonly number[],
  fresh: number,
): Tensor {
  const shape = param.value.shape;
  const oldCols = oldShape.length === 2 ? oldShape[1] : oldShape[0];
  const [rows, cols] = shape.length === 2 ? shape : [1, shape[0]];
  const axisMap = shape.length === 1 ? { rows: null, cols: map.cols ?? map.rows } : map;
  const next = new Tensor(param.value.backend, shape).set(
    remapEntries(old.toArray(), oldCols, rows, cols, axisMap, fresh),
  );
  old.dispose();
  return next;
}
