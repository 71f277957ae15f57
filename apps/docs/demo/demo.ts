// The in-browser demo: trains the growing MLP on an MNIST slice with @sprout/tensor's auto backend
// (gpu.js on WebGL when a real GPU is there, else the WebAssembly cpu backend), plots loss and
// accuracy as they move, and classifies digits drawn on a canvas.
import { normalizeDigit } from '@sprout/data-mnist/normalize-digit';
import { createMlp, evaluate, grow, SoftmaxCrossEntropy } from '@sprout/layers';
import { Adam } from '@sprout/optim';
import { growthSchedule } from '@sprout/schedule';
import { createBackend, Random, SparseRows, softmax } from '@sprout/tensor';
import * as gpuJs from 'gpu.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $('status');
const accuracyText = $('accuracy');
const predictionText = $('prediction');

async function loadSlice() {
  const bytes = new Uint8Array(await (await fetch('mnist-slice.bin')).arrayBuffer());
  const view = new DataView(bytes.buffer);
  const train = view.getUint32(0, true);
  const test = view.getUint32(4, true);
  let o = 8;
  const take = (n: number) => bytes.subarray(o, (o += n));
  return {
    train,
    test,
    trainImages: take(train * 784),
    trainLabels: take(train),
    testImages: take(test * 784),
    testLabels: take(test),
  };
}

function plot(canvas: HTMLCanvasElement, series: { values: number[]; color: string }[], max: number) {
  const ctx = canvas.getContext('2d')!;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.strokeStyle = '#ccc';
  ctx.strokeRect(0, 0, canvas.width, canvas.height);
  for (const s of series) {
    ctx.strokeStyle = s.color;
    ctx.beginPath();
    s.values.forEach((v, i) => {
      const x = (i / Math.max(1, s.values.length - 1)) * (canvas.width - 4) + 2;
      const y = canvas.height - 2 - (Math.min(v, max) / max) * (canvas.height - 4);
      i ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
    });
    ctx.stroke();
  }
}

// `?backend=gpu` forces gpu.js even on a software renderer (the browser test runs it on SwiftShader).
const requested = new URLSearchParams(location.search).get('backend') ?? 'auto';
const choice = requested === 'gpu' || requested === 'cpu' ? requested : 'auto';
const { backend, report } = await createBackend({ backend: choice, gpuJs });
status.textContent = report;
const data = await loadSlice();
const rng = new Random(1);
const model = createMlp(backend, { inputs: 784, hidden: [32], outputs: 10, rng });
const adam = new Adam(model.parameters(), { lr: 2e-3 });
const width = growthSchedule({ initial: 32, final: 128, growthEpochs: 3, multiple: 32 });
const loss = new SoftmaxCrossEntropy();
const x = new SparseRows(backend);
const losses: number[] = [];
const accuracies: number[] = [];
let batchesDone = 0;

async function trainEpochs(epochs: number) {
  const batch = 64;
  for (let epoch = 0; epoch < epochs; epoch++) {
    if (width(epoch) > model.widths[1]) {
      for (const g of grow(model, 0, width(epoch), { rng })) adam.grow(g.param, g.map, g.oldShape);
    }
    for (let start = 0; start + batch <= data.train; start += batch) {
      x.set(data.trainImages.subarray(start * 784, (start + batch) * 784), batch, 784);
      const { value, grad } = loss.compute(model.forward(x), data.trainLabels.subarray(start, start + batch));
      model.backward(grad);
      adam.step();
      losses.push(value);
      batchesDone++;
      if (batchesDone % 10 === 0) {
        const acc = evaluate(model, data.testImages, data.testLabels, data.test, 784).accuracy;
        accuracies.push(acc);
        accuracyText.textContent = `batches ${batchesDone}, width ${model.widths[1]}, test accuracy ${(acc * 100).toFixed(1)}%`;
        accuracyText.dataset.accuracy = String(acc);
        plot($('loss-chart'), [{ values: losses, color: '#d62728' }], 2.5);
        plot($('accuracy-chart'), [{ values: accuracies, color: '#1f77b4' }], 1);
        await new Promise((r) => setTimeout(r, 0)); // let the page paint
      }
    }
  }
}

$('train').addEventListener('click', async () => {
  ($('train') as HTMLButtonElement).disabled = true;
  await trainEpochs(4);
  ($('train') as HTMLButtonElement).disabled = false;
  status.textContent = `${report} — trained`;
});

// Drawing pad: 280×280 strokes, white on black.
const pad = $('pad') as HTMLCanvasElement;
const pen = pad.getContext('2d')!;
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
  predict();
});
$('clear').addEventListener('click', () => {
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

function predict() {
  const image = toMnist();
  if (!image) return;
  const input = new SparseRows(backend).set(image, 1, 784);
  const probs = softmax(model.forward(input)).toArray();
  input.dispose();
  const best = probs.indexOf(Math.max(...probs));
  predictionText.dataset.digit = String(best);
  predictionText.innerHTML = `prediction: <b>${best}</b><br>${Array.from(probs, (p, d) => `${d}: <span class="bar" style="width:${Math.round(p * 150)}px"></span> ${(p * 100).toFixed(1)}%`).join('<br>')}`;
}

// Lets the browser test wait for readiness.
(window as unknown as { sproutDemoReady: boolean }).sproutDemoReady = true;
