/** One epoch's figures. Epoch 0 is the untrained network's evaluation. */
export interface EpochRecord {
  epoch: number;
  trainLoss: number | null;
  trainAccuracy: number | null;
  /**
   * The dev split's loss (cross-entropy; a regression's mean squared error of the standardised
   * targets); null when the run holds out no dev split (`monitor: 'train-loss'`).
   */
  devLoss: number | null;
  /** The dev split's accuracy (a regression's R²); null when there is no dev split, as `devLoss`. */
  devAccuracy: number | null;
  /**
   * Test accuracy after this epoch (cheap here, and it gives the time to 98%); null in a run
   * with `evaluateTest: false`.
   */
  testAccuracy: number | null;
  learningRate: number;
  /** The first hidden layer's width. */
  hiddenSize: number;
  /** Every hidden layer's width (absent from histories saved before deeper nets). */
  hiddenSizes?: number[];
  batchSize: number;
  seconds: number;
  /** Wall seconds since the run started (earlier sessions' time included when resumed). */
  elapsed: number;
  samplesPerSecond: number;
  rssMB: number;
}

/** How well a regression predicts: mean squared and absolute errors and R². */
export interface RegressionMetrics {
  mse: number;
  mae: number;
  r2: number;
}

/** What a run produced. */
export interface TrainResult {
  /**
   * The best weights' test accuracy; null in a run with `evaluateTest: false` and in a regression
   * (see `testRegression`).
   */
  testAccuracy: number | null;
  /** A regression's test metrics, in the target's own units (R² has none). */
  testRegression?: RegressionMetrics;
  /**
   * The dev accuracy (a regression's R²) of the weights kept; null for a run with no dev split
   * (`monitor: 'train-loss'`).
   */
  bestDevAccuracy: number | null;
  epochs: number;
  wallSeconds: number;
  secondsTo98: number | null;
  peakRssMB: number;
  backend: string;
  /** The first hidden layer's width. */
  hiddenSize: number;
  /** Every hidden layer's width. */
  hiddenSizes: number[];
  outDir: string;
  stoppedEarly: boolean;
  interrupted: boolean;
  /**
   * Whether model.sprout now holds this run's best weights (and metrics.json describes them): false
   * only for a run interrupted before its first epoch ended, whose `testAccuracy` is then that of
   * the partly trained weights in the checkpoint.
   */
  modelSaved: boolean;
}
