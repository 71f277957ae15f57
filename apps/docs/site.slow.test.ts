import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBundledMnist } from '@sprout/data-mnist';
import { loadModel } from '@sprout/layers';
import { createCpuBackend } from '@sprout/tensor';
import { type Browser, chromium, type Download, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM helper without types
import { serveSite } from './serve.mjs';

/** The status line of a page whose kernel threads are one per core the browser reports (≥ 2 here). */
async function threadsLine(page: Page): Promise<RegExp> {
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  expect(cores).toBeGreaterThanOrEqual(2);
  return new RegExp(`^backend: cpu \\(WebAssembly .*, ${cores} threads\\)`);
}

// The built site in a real browser: Debian's Chromium driven by playwright-core.
const here = dirname(fileURLToPath(import.meta.url));
const chromiumPath = '/usr/bin/chromium';
const available = existsSync(chromiumPath);
if (!available && process.env.SPROUT_REQUIRE_BROWSER === '1')
  throw new Error(`SPROUT_REQUIRE_BROWSER=1 but ${chromiumPath} is missing`);
if (!available)
  console.warn(`[docs] browser tests SKIPPED: ${chromiumPath} not installed (scripts/setup.sh installs it)`);
const screenshots = join(here, 'screenshots');
// In-page waits stop well inside the slow set's test timeout, so a stuck page names what it waited for.
const waitLimit = { timeout: 300_000 };

let browser: Browser;
let server: { close(): void };
let base: string;

beforeAll(async () => {
  if (!available) return;
  ({ server, url: base } = await serveSite(0));
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
  mkdirSync(screenshots, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  server?.close();
});

async function open(path: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  const response = await page.goto(base + path, { waitUntil: 'load' });
  expect(response?.status(), path).toBe(200);
  return { page, errors };
}

describe.skipIf(!available)('docs site in Chromium', () => {
  it('loads the home page, every guide and the API index without console errors or broken links', async () => {
    const pages = [
      'index.html',
      'modules.html',
      ...[
        'Getting_started',
        'Architecture',
        'Growing_networks',
        'Memory_budgets',
        'Backends',
        'Benchmarks',
      ].map((d) => `documents/${d}.html`),
    ];
    const links = new Set<string>();
    for (const path of pages) {
      const { page, errors } = await open(path);
      expect(errors, path).toEqual([]);
      for (const href of await page.$$eval('a[href]', (as) => as.map((a) => (a as HTMLAnchorElement).href))) {
        if (href.startsWith(base)) links.add(href.split('#')[0]);
      }
      await page.close();
    }
    expect(links.size).toBeGreaterThan(20);
    const broken: string[] = [];
    for (const link of links) {
      const r = await fetch(link);
      if (r.status !== 200) broken.push(`${link} → ${r.status}`);
    }
    expect(broken).toEqual([]);
    const { page } = await open('documents/Architecture.html');
    await page.screenshot({ path: join(screenshots, 'architecture.png'), fullPage: false });
    await page.close();
  });

  it('the demo trains the full MNIST in a worker on a kernel thread per core to ≥ 97.5% and recognises drawn digits', async () => {
    const { page, errors } = await open('demo/index.html?backend=cpu');
    // serve.mjs sends COOP/COEP: the page is cross-origin isolated, so the worker gets kernel threads.
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    await page.waitForFunction(
      () => (window as unknown as { sproutDemoReady?: boolean }).sproutDemoReady === true,
      null,
      waitLimit,
    );
    expect(await page.textContent('#status')).toMatch(await threadsLine(page));
    expect(await page.textContent('#download-text')).toBe(
      'MNIST: 60,000 training and 10,000 test digits, checked',
    );
    await page.click('#train');
    // Pause holds the worker between batches: nothing moves until Resume.
    await page.waitForFunction(
      () => /batch \d+ of/.test(document.getElementById('accuracy')?.textContent ?? ''),
      null,
      waitLimit,
    );
    await page.click('#pause');
    await page.waitForSelector('#accuracy[data-paused]', waitLimit);
    const frozen = await page.textContent('#accuracy');
    await page.waitForTimeout(1000);
    expect(await page.textContent('#accuracy')).toBe(frozen);
    await page.click('#pause');
    await page.waitForSelector('#accuracy[data-done]', waitLimit);
    const accuracy = Number(await page.$eval('#accuracy', (e) => (e as HTMLElement).dataset.accuracy));
    expect(accuracy).toBeGreaterThanOrEqual(0.975);
    // The trained model downloads as model.sprout (Sprout loads it) and a TF.js Layers model.
    const downloads: Download[] = [];
    page.on('download', (d) => downloads.push(d));
    await page.click('#download');
    await expect.poll(() => downloads.length, { timeout: 60_000 }).toBe(3);
    const files = Object.fromEntries(
      await Promise.all(
        downloads.map(async (d) => [d.suggestedFilename(), readFileSync((await d.path())!)] as const),
      ),
    );
    expect(Object.keys(files).sort()).toEqual(['model.json', 'model.sprout', 'weights.bin']);
    expect(loadModel(createCpuBackend({ threads: false }), files['model.sprout']).widths).toEqual([
      784, 512, 10,
    ]);
    expect(JSON.parse(files['model.json'].toString()).weightsManifest[0].paths).toEqual(['weights.bin']);
    // The kernel thread really ran half of the big kernels.
    expect(Number(await page.$eval('#status', (e) => (e as HTMLElement).dataset.handOffs))).toBeGreaterThan(
      1000,
    );
    // Ten test digits painted on the pad with a round brush at 10× (strokes, not pixels), each
    // classified as the page classifies a drawing.
    const { test } = await loadBundledMnist();
    let recognised = 0;
    for (let k = 0; k < 10; k++) {
      const digit = Array.from(test.images.subarray(k * 784, (k + 1) * 784));
      await page.click('#clear');
      await page.evaluate(async (pixels) => {
        const pad = document.getElementById('pad') as HTMLCanvasElement;
        const pen = pad.getContext('2d')!;
        pixels.forEach((v, i) => {
          if (v < 40) return;
          pen.fillStyle = `rgba(255,255,255,${v / 255})`;
          pen.beginPath();
          pen.arc((i % 28) * 10 + 5, Math.floor(i / 28) * 10 + 5, 9, 0, 2 * Math.PI);
          pen.fill();
        });
        await (window as unknown as { sproutDemoPredict: () => Promise<void> }).sproutDemoPredict();
      }, digit);
      const predicted = await page.$eval('#prediction', (e) => (e as HTMLElement).dataset.digit);
      if (Number(predicted) === test.labels[k]) recognised++;
    }
    console.log(
      `[demo] ${await page.textContent('#epoch-text')}; ${recognised} of 10 drawn test digits recognised`,
    );
    expect(recognised).toBeGreaterThanOrEqual(9);
    // And a clean "7" drawn with the mouse (a bar, then a long diagonal), which the pad once
    // called a 2 before drawings were normalised as MNIST's digits were.
    const box = (await page.locator('#pad').boundingBox())!;
    await page.click('#clear');
    await page.mouse.move(box.x + 80, box.y + 60);
    await page.mouse.down();
    for (let x = 80; x <= 200; x += 10) await page.mouse.move(box.x + x, box.y + 60);
    for (let t = 0; t <= 1; t += 0.1) await page.mouse.move(box.x + 200 - 80 * t, box.y + 60 + 170 * t);
    await page.mouse.up();
    await page.waitForSelector('#prediction[data-digit]');
    expect(await page.$eval('#prediction', (e) => (e as HTMLElement).dataset.digit)).toBe('7');
    await page.screenshot({ path: join(screenshots, 'demo.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('on a static host without COOP/COEP the service worker isolates the page; without it, one thread and why', async () => {
    const plain = (await serveSite(0, { isolated: false })) as { server: { close(): void }; url: string };
    try {
      const ready = async (page: Page) => {
        await page.goto(`${plain.url}demo/index.html?backend=cpu`, { waitUntil: 'load' });
        await page.waitForFunction(
          () => (window as unknown as { sproutDemoReady?: boolean }).sproutDemoReady === true,
          null,
          waitLimit,
        );
        return page.textContent('#status');
      };
      // coi-serviceworker registers, and once its worker is active (the page's own doReload waits
      // for navigator.serviceWorker.ready) reloads the page, which the worker then serves with the
      // headers. Wait for the worker, then for the isolated, ready page (evaluations fail while a
      // reload replaces the page; they are retried).
      const page = await browser.newPage();
      await page.goto(`${plain.url}demo/index.html?backend=cpu`, { waitUntil: 'load' });
      await page.evaluate(() => navigator.serviceWorker.ready.then(() => true)).catch(() => false); // a reload may replace the page meanwhile
      const isolatedAndReady = () =>
        page
          .evaluate(
            () =>
              crossOriginIsolated &&
              (window as unknown as { sproutDemoReady?: boolean }).sproutDemoReady === true,
          )
          .catch(() => false);
      const until = Date.now() + waitLimit.timeout;
      while (!(await isolatedAndReady()) && Date.now() < until) await page.waitForTimeout(100);
      const state = await page
        .evaluate(async () => {
          const registration = await navigator.serviceWorker.getRegistration();
          return JSON.stringify({
            crossOriginIsolated,
            controlled: navigator.serviceWorker.controller !== null,
            active: registration?.active?.state ?? null,
            installing: registration?.installing?.state ?? null,
            waiting: registration?.waiting?.state ?? null,
          });
        })
        .catch((error) => `page not readable: ${error}`);
      expect(await page.evaluate(() => crossOriginIsolated), `service worker state: ${state}`).toBe(true);
      expect(await page.textContent('#status')).toMatch(await threadsLine(page));
      await page.close();
      // Where service workers cannot run either, the demo trains on one thread and says why.
      const context = await browser.newContext({ serviceWorkers: 'block' });
      const blocked = await context.newPage();
      expect(await ready(blocked)).toMatch(
        /1 thread: the page is not cross-origin isolated \(COOP\/COEP headers\)/,
      );
      await context.close();
    } finally {
      plain.server.close();
    }
  });

  it('the gpu backend trains in the browser on WebGL (SwiftShader here), values kept in textures', async () => {
    const { page, errors } = await open('demo/index.html?backend=gpu&limit=3000');
    await page.waitForFunction(
      () => (window as unknown as { sproutDemoReady?: boolean }).sproutDemoReady === true,
      null,
      waitLimit,
    );
    expect(await page.textContent('#status')).toMatch(/^backend: gpu \(gpu\.js WebGL on .+\)/);
    await page.click('#train');
    await page.waitForFunction(
      () => Number(document.getElementById('accuracy')?.dataset.accuracy ?? 0) > 0.5,
      null,
      waitLimit,
    );
    expect(errors).toEqual([]);
    await page.close();
  });
});
