// The in-browser demo: downloads the real MNIST (60,000 + 10,000 digits), trains the default
// growing network on it in a Web Worker (cpu backend; a kernel thread per core where the page is
// cross-origin isolated, navigator.hardwareConcurrency in all) or, with `?backend=gpu`, on the page with gpu.js; plots it live; then
// classifies digits drawn on a pad, normalised as MNIST's were.
import { normalizeDigit } from '@sprout/data-mnist/browser';
import { type BackendChoice, createBackend } from '@sprout/tensor';
import * as gpuJs from 'gpu.js';
import { createRunner, type FromRunner, type ToRunner } from './runner.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $('status');
const accuracyText = $('accuracy');
const predictionText = $('prediction');
const trainButton = $('train') as HTMLButtonElement;
const pauseButton = $('pause') as HTMLButtonElement;
const downloadButton = $('download') as HTMLButtonElement;
const EPOCHS = 8;

const params = new URLSearchParams(location.search);
const requested = params.get('backend');
// `?limit=N` trains on the first N training digits (a quick look; the browser test of gpu.js on
// a software renderer uses it).
const limit = Number(params.get('limit') ?? 0) || 0;
let choice: BackendChoice = requested === 'gpu' || requested === 'cpu' ? requested : 'auto';
let gpuNote = '';
if (choice === 'auto') {
  // gpu.js where the page has a real GPU (software renderers are refused, with the reason shown).
  const probe = await createBackend({ backend: 'auto', gpuJs: gpuJs as never });
  choice = probe.backend.name === 'gpu' ? 'gpu' : 'cpu';
  gpuNote = probe.gpuSkipped ? `; gpu skipped: ${probe.gpuSkipped}` : '';
  probe.backend.dispose();
}
// gpu.js draws through the page's WebGL, so it trains here; the cpu backend trains in a worker.
let send: (message: ToRunner) => void;
if (choice === 'gpu') {
  const handle = createRunner((m) => receive(m), gpuJs as never);
  send = (m) => void handle(m);
} else {
  const worker = new Worker(new URL('trainWorker.js', import.meta.url), { type: 'module' });
  worker.onmessage = (event: MessageEvent<FromRunner>) => receive(event.data);
  worker.onerror = (event) => receive({ type: 'error', message: event.message });
  send = (m) => worker.postMessage(m);
}

/** A line chart with its title, axis labels and range. */
function plot(
  canvas: HTMLCanvasElement,
  chart: { x: string; y: string; min: number; max: number; format: (v: number) => string },
  series: { label: string; values: number[]; color: string }[],
) {
  const ctx = canvas.getContext('2d')!;
  const [left, right, top, bottom] = [46, 8, 8, 30];
  const [w, h] = [canvas.width - left - right, canvas.height - top - bottom];
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.font = '11px sans-serif';
  ctx.fillStyle = '#444';
  ctx.strokeStyle = '#bbb';
  ctx.strokeRect(left, top, w, h);
  ctx.textAlign = 'right';
  ctx.fillText(chart.format(chart.max), left - 4, top + 9);
  ctx.fillText(chart.format(chart.min), left - 4, top + h);
  ctx.textAlign = 'center';
  ctx.fillText(chart.x, left + w / 2, canvas.height - 4);
  ctx.save();
  ctx.translate(11, top + h / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText(chart.y, 0, 0);
  ctx.restore();
  const longest = Math.max(1, ...series.map((s) => s.values.length - 1));
  ctx.textAlign = 'left';
  series.forEach((s, k) => {
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.fillText(s.label, left + 6 + k * 70, top + 14);
    ctx.beginPath();
    s.values.forEach((v, i) => {
      const x = left + (i / longest) * w;
      const y =
        top + h - ((Math.min(Math.max(v, chart.min), chart.max) - chart.min) / (chart.max - chart.min)) * h;
      i ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
    });
    ctx.stroke();
  });
}

const history = {
  loss: [] as number[],
  dev: [] as number[],
  test: [] as number[],
  width: [] as number[],
  speed: [] as number[],
};
const percent = (v: number) => `${(v * 100).toFixed(0)}%`;
let startedAt = 0;
/** Wall seconds spent paused since "Train" (not counted in the time to 98%). */
let pausedSeconds = 0;
let pausedAt = 0;
let reached98: number | null = null;

function redraw() {
  const lossMax = Math.ceil(Math.max(0.5, ...history.loss) * 2) / 2;
  plot(
    $('loss-chart'),
    { x: 'batches (sampled)', y: 'loss', min: 0, max: lossMax, format: (v) => v.toFixed(1) },
    [{ label: 'train loss', values: history.loss, color: '#d62728' }],
  );
  plot($('accuracy-chart'), { x: 'epoch', y: 'accuracy', min: 0.9, max: 1, format: percent }, [
    { label: 'dev', values: history.dev, color: '#1f77b4' },
    { label: 'test', values: history.test, color: '#ff7f0e' },
  ]);
  plot($('width-chart'), { x: 'epoch', y: 'hidden units', min: 0, max: 512, format: (v) => v.toFixed(0) }, [
    { label: 'width', values: history.width, color: '#2ca02c' },
  ]);
  plot(
    $('speed-chart'),
    {
      x: 'batches (sampled)',
      y: 'samples/s',
      min: 0,
      max: Math.max(1000, ...history.speed),
      format: (v) => `${(v / 1000).toFixed(0)}k`,
    },
    [{ label: 'samples/s', values: history.speed, color: '#9467bd' }],
  );
}

let nextId = 1;
const pending = new Map<number, (p: Float32Array) => void>();

function receive(m: FromRunner) {
  switch (m.type) {
    case 'status':
      status.textContent = m.report + gpuNote;
      status.dataset.threads = String(m.threads);
      break;
    case 'download': {
      const bar = $('download-progress') as HTMLProgressElement;
      bar.max = m.total || 1;
      bar.value = m.loaded;
      $('download-text').textContent =
        `MNIST: ${(m.loaded / 2 ** 20).toFixed(1)} of ${(m.total / 2 ** 20).toFixed(1)} MiB`;
      break;
    }
    case 'ready':
      $('download-text').textContent =
        `MNIST: ${m.train.toLocaleString('en-US')} training and ${m.test.toLocaleString('en-US')} test digits, checked`;
      trainButton.disabled = false;
      (window as unknown as { sproutDemoReady: boolean }).sproutDemoReady = true;
      break;
    case 'batch':
      history.loss.push(m.loss);
      history.speed.push(m.samplesPerSecond);
      accuracyText.firstChild!.textContent = `epoch ${m.epoch}: batch ${m.batch} of ${m.batches}, loss ${m.loss.toFixed(3)}, ${Math.round(m.samplesPerSecond).toLocaleString('en-US')} samples/s`;
      redraw();
      break;
    case 'epoch':
      history.dev.push(m.devAccuracy);
      history.test.push(m.testAccuracy);
      history.width.push(m.width);
      if (reached98 === null && m.testAccuracy >= 0.98)
        reached98 = (performance.now() - startedAt) / 1000 - pausedSeconds;
      accuracyText.dataset.accuracy = String(m.testAccuracy);
      accuracyText.dataset.epoch = String(m.epoch);
      $('epoch-text').textContent =
        `after epoch ${m.epoch}: test accuracy ${(m.testAccuracy * 100).toFixed(2)}% (dev ${(m.devAccuracy * 100).toFixed(2)}%), ${m.width} hidden units, ${m.seconds.toFixed(1)} s of training${reached98 === null ? '' : `; 98% after ${reached98.toFixed(1)} s`}`;
      redraw();
      break;
    case 'done':
      status.dataset.handOffs = String(m.handOffs);
      trainButton.disabled = false;
      pauseButton.disabled = true;
      downloadButton.disabled = false;
      accuracyText.dataset.done = 'true';
      break;
    case 'prediction':
      pending.get(m.id)?.(m.probabilities);
      pending.delete(m.id);
      break;
    case 'model':
      // model.sprout, and the TF.js Layers model (model.json names weights.bin beside it).
      for (const [name, part] of [
        ['model.sprout', m.sprout],
        ['model.json', m.tfjsModelJson],
        ['weights.bin', m.tfjsWeights],
      ] as const) {
        const url = URL.createObjectURL(new Blob([part as BlobPart], { type: 'application/octet-stream' }));
        const a = document.createElement('a');
        a.href = url;
        a.download = name;
        a.click();
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
      }
      break;
    case 'message':
      // The loop's own lines, as `sprout train` prints them (growth, early stopping).
      $('loop-message').textContent = m.text;
      break;
    case 'paused':
      accuracyText.dataset.paused = 'true';
      break;
    case 'error':
      status.textContent = `error: ${m.message}`;
      break;
  }
}

trainButton.addEventListener('click', () => {
  trainButton.disabled = true;
  pauseButton.disabled = false;
  delete accuracyText.dataset.done;
  startedAt = performance.now();
  pausedSeconds = 0;
  send({ type: 'train', epochs: Number(accuracyText.dataset.epoch ?? 0) + EPOCHS });
});
pauseButton.addEventListener('click', () => {
  const paused = pauseButton.textContent === 'Resume';
  if (paused) {
    delete accuracyText.dataset.paused;
    pausedSeconds += (performance.now() - pausedAt) / 1000;
  } else pausedAt = performance.now();
  send({ type: paused ? 'resume' : 'pause' });
  pauseButton.textContent = paused ? 'Pause' : 'Resume';
});
downloadButton.addEventListener('click', () => send({ type: 'model' }));

// Drawing pad: 280×280 strokes, white on black.
const pad = $('pad') as HTMLCanvasElement;
const pen = pad.getContext('2d', { willReadFrequently: true })!;
pen.fillStyle = 'black';
pen.fillRect(0, 0, pad.width, pad.height);
let drawing = false;
pad.addEventListener('pointerdown', (e) => {
  drawing = true;
  pad.setPointerCapture(e.pointerId);
  pen.beginPath();
  pen.moveTo(e.offsetX, e.offsetY);
});
pad.addEventListener('pointermove', (e) => {
  if (!drawing) return;
  pen.strokeStyle = 'white';
  pen.lineWidth = 18;
  pen.lineCap = 'round';
  pen.lineTo(e.offsetX, e.offsetY);
  pen.stroke();
});
// End the stroke wherever the pointer is released (it may leave the pad while drawing).
window.addEventListener('pointerup', () => {
  if (!drawing) return;
  drawing = false;
  void predict();
});
$('clear').addEventListener('click', () => {
  pen.fillStyle = 'black';
  pen.fillRect(0, 0, pad.width, pad.height);
  predictionText.textContent = '';
  delete predictionText.dataset.digit;
});

// The pad as MNIST's digits were made (normalizeDigit: ink box into 20×20, centre of mass at the
// centre of 28×28) — the same function `sprout predict` uses on image files.
function toMnist(): Uint8Array | null {
  const rgba = pen.getImageData(0, 0, pad.width, pad.height).data;
  const pixels = new Float32Array(pad.width * pad.height);
  for (let i = 0; i < pixels.length; i++) pixels[i] = rgba[i * 4] / 255;
  try {
    return normalizeDigit({ width: pad.width, height: pad.height, pixels }, 'the pad');
  } catch {
    return null; // nothing drawn yet
  }
}

async function predict(): Promise<void> {
  const image = toMnist();
  if (!image) return;
  const id = nextId++;
  const probabilities = await new Promise<Float32Array>((resolve) => {
    pending.set(id, resolve);
    send({ type: 'predict', id, image });
  });
  const top = Array.from(probabilities, (p, digit) => ({ p, digit }))
    .sort((a, b) => b.p - a.p)
    .slice(0, 3);
  predictionText.dataset.digit = String(top[0].digit);
  predictionText.innerHTML = `prediction: <b>${top[0].digit}</b><br>${top
    .map(
      (t) =>
        `${t.digit}: <span class="bar" style="width:${Math.round(t.p * 150)}px"></span> ${(t.p * 100).toFixed(1)}%`,
    )
    .join('<br>')}`;
}

// For the browser test: classify what is on the pad now.
(window as unknown as { sproutDemoPredict: () => Promise<void> }).sproutDemoPredict = predict;
redraw();
send({ type: 'init', backend: choice, limit });
