/** Per-class and averaged classification metrics. */
export interface ClassificationReport {
  accuracy: number;
  perClass: { label: number; precision: number; recall: number; f1: number; support: number }[];
  macro: { precision: number; recall: number; f1: number };
  weighted: { precision: number; recall: number; f1: number };
  /** confusion[true][predicted] counts. */
  confusion: number[][];
}

/**
 * Accuracy, per-class precision/recall/F1, macro and weighted averages and the confusion matrix.
 *
 * @example
 * ```ts
 * classificationReport([0, 1, 1], [0, 1, 0], 2).accuracy; // 2/3
 * ```
 */
export function classificationReport(
  labels: ArrayLike<number>,
  predictions: ArrayLike<number>,
  classes: number,
): ClassificationReport {
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    confusion[labels[i]][predictions[i]]++;
    if (labels[i] === predictions[i]) correct++;
  }
  const perClass = confusion.map((row, c) => {
    const tp = row[c];
    const support = row.reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((s, r) => s + r[c], 0);
    const precision = predicted ? tp / predicted : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    return { label: c, precision, recall, f1, support };
  });
  const n = labels.length || 1;
  const avg = (key: 'precision' | 'recall' | 'f1', weighted: boolean) =>
    perClass.reduce((s, p) => s + p[key] * (weighted ? p.support / n : 1 / classes), 0);
  return {
    accuracy: correct / n,
    perClass,
    macro: { precision: avg('precision', false), recall: avg('recall', false), f1: avg('f1', false) },
    weighted: { precision: avg('precision', true), recall: avg('recall', true), f1: avg('f1', true) },
    confusion,
  };
}
