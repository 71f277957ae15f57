import { quantizeInt8, type Sequential } from '@sprout/layers';

/** One Dense layer as the exporters see it: weights row-major [inputs, units], ReLU or not. */
export interface DenseSpec {
  name: string;
  inputs: number;
  units: number;
  relu: boolean;
  kernel: Float32Array;
  bias: Float32Array;
  /** With int8: the kernel as int8 with one scale per unit (what Sprout's int8 file holds). */
  int8?: { q: Int8Array; scales: Float32Array };
}

/** The model's Dense layers in order, ready to write; the last one's output is the logits. */
export function denseStack(model: Sequential, int8: boolean): DenseSpec[] {
  // Only what the writers know how to write: anything else would be dropped from the export.
  const other = model.layers.find((l) => !['dense', 'relu', 'dropout'].includes(String(l.config().kind)));
  if (other)
    throw new Error(
      `cannot export a ${String(other.config().kind)} layer: the exporters write Dense and ReLU layers`,
    );
  const names = new Set<string>();
  return model.denseLayers.map((layer, i) => {
    const config = layer.config();
    // Unique, runtime-safe names: the layer's own when it is both.
    let name = String(config.name).replace(/[^A-Za-z0-9_]/g, '_') || `dense_${i + 1}`;
    if (names.has(name)) name = `${name}_${i + 1}`;
    names.add(name);
    const kernel = layer.weight.value.toArray();
    return {
      name,
      inputs: layer.inFeatures,
      units: layer.outFeatures,
      relu: layer.relu,
      kernel,
      bias: layer.bias.value.toArray(),
      ...(int8 ? { int8: quantizeInt8(kernel, layer.inFeatures, layer.outFeatures) } : {}),
    };
  });
}
