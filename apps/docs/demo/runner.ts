// The demo's work behind one message interface: in a Web Worker (trainWorker.ts) for the cpu
// backend, on the page itself for gpu.js (which needs the page's WebGL).
import { labeledImages, parseIdx } from '@sprout/data-mnist/browser';
import { type BackendChoice, CpuBackend, createBackend, type GpuJsModule } from '@sprout/tensor';
import { DemoTraining, type TrainingEvent } from './training.js';

export type ToRunner =
  | { type: 'init'; backend: BackendChoice; limit?: number }
  | { type: 'train'; epochs: number }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'predict'; id: number; image: Uint8Array }
  | { type: 'model' };

export type FromRunner =
  | { type: 'status'; report: string; threads: number }
  | { type: 'download'; loaded: number; total: number }
  | { type: 'ready'; train: number; test: number }
  | TrainingEvent
  | { type: 'done'; seconds: number; handOffs: number }
  | { type: 'prediction'; id: number; probabilities: Float32Array }
  | { type: 'model'; sprout: Uint8Array; tfjsModelJson: string; tfjsWeights: Uint8Array }
  | { type: 'paused' }
  | { type: 'error'; message: string };

/**
 * The four MNIST files the site serves, gzipped, beside the demo. Not named `.gz`: servers send
 * those with `Content-Encoding: gzip` (sirv does), and the browser would unpack them itself.
 */
const FILES = {
  trainImages: ['train-images-idx3-ubyte.gzip', 2051],
  trainLabels: ['train-labels-idx1-ubyte.gzip', 2049],
  testImages: ['t10k-images-idx3-ubyte.gzip', 2051],
  testLabels: ['t10k-labels-idx1-ubyte.gzip', 2049],
} as const;

/** The whole body of a stream, unpacked when it is gzip (a server may have unpacked it already). */
async function gunzipIfNeeded(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const reader = stream.getReader();
  const first = await reader.read();
  const gzip = first.value !== undefined && first.value[0] === 0x1f && first.value[1] === 0x8b;
  // The first chunk again, then the rest.
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (first.value) controller.enqueue(first.value);
      if (first.done) controller.close();
    },
    async pull(controller) {
      const next = await reader.read();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
  });
  const unpacked = gzip ? body.pipeThrough(new DecompressionStream('gzip')) : body;
  return new Uint8Array(await new Response(unpacked).arrayBuffer());
}

/** Downloads and decompresses the MNIST files, reporting compressed bytes as they arrive. */
async function loadMnist(progress: (loaded: number, total: number) => void) {
  const paths = Object.values(FILES).map(([file]) => `mnist/${file}`);
  const responses = await Promise.all(
    paths.map(async (path) => {
      const response = await fetch(path);
      if (!response.ok || !response.body) throw new Error(`${path}: HTTP ${response.status}`);
      return response;
    }),
  );
  const total = responses.reduce((n, r) => n + Number(r.headers.get('content-length') ?? 0), 0);
  let loaded = 0;
  const files = await Promise.all(
    responses.map(async (response, i) => {
      const counted = response.body!.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            loaded += chunk.length;
            progress(loaded, Math.max(total, loaded));
            controller.enqueue(chunk);
          },
        }),
      );
      const bytes = await gunzipIfNeeded(counted);
      return parseIdx(bytes, paths[i], Object.values(FILES)[i][1]);
    }),
  );
  return {
    train: labeledImages(files[0], files[1], paths[0], paths[1]),
    test: labeledImages(files[2], files[3], paths[2], paths[3]),
  };
}

/** A message handler that runs the demo's work and answers through `post`. */
export function createRunner(post: (message: FromRunner) => void, gpuJs?: GpuJsModule) {
  let training: DemoTraining | null = null;
  return async (message: ToRunner): Promise<void> => {
    try {
      switch (message.type) {
        case 'init': {
          const { backend, report } = await createBackend({ backend: message.backend, gpuJs });
          const threads = backend instanceof CpuBackend ? backend.kernels.threads : 1;
          post({ type: 'status', report, threads });
          const data = await loadMnist((loaded, total) => post({ type: 'download', loaded, total }));
          training = new DemoTraining(backend, data, 42, message.limit);
          post({ type: 'ready', train: data.train.count, test: data.test.count });
          break;
        }
        case 'train': {
          if (!training) throw new Error('not ready');
          await training.train(message.epochs, post, () => post({ type: 'paused' }));
          const handOffs = training.backend instanceof CpuBackend ? training.backend.threadHandOffs : 0;
          post({ type: 'done', seconds: training.seconds, handOffs });
          break;
        }
        case 'pause':
          training?.pause();
          break;
        case 'resume':
          training?.resume();
          break;
        case 'predict':
          if (training)
            post({ type: 'prediction', id: message.id, probabilities: training.predict(message.image) });
          break;
        case 'model':
          if (training) post({ type: 'model', ...training.modelFiles() });
          break;
      }
    } catch (error) {
      post({ type: 'error', message: (error as Error).message });
    }
  };
}
