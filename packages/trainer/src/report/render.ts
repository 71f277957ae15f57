import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { VegaLiteSpec } from './charts.js';

/**
 * The PNGs' scale over the SVGs' size. resvg's pixmaps are not given back to the system after each
 * render (glibc keeps them in the heap), so their size lifts a run's peak memory: 2× added ~18 MB
 * more than 1× over a report's eight images, and pushed a default run past 160 MB. 1.5× keeps
 * text sharp enough; the SVGs (and report.html, which inlines them) are exact at any size.
 */
export const PNG_ZOOM = 1.5;

/**
 * Node's own `import()`, kept as it is in the CommonJS build too (tsup turns a plain `import()`
 * into `require()` there). vega ships only ES modules, one of which awaits at top level (an
 * optional canvas), so `require('vega')` fails ("ESM graph with top-level await") and a CommonJS
 * program could not write a report or a tune's curves.
 */
const nativeImport = new Function('url', 'return import(url)') as <T>(url: string) => Promise<T>;

/** `name` imported from where this module sits (a native import() alone would resolve from the cwd). */
async function importHere<T>(name: string): Promise<T> {
  try {
    return await nativeImport<T>(pathToFileURL(createRequire(import.meta.url).resolve(name)).href);
  } catch (error) {
    // Inside a vm context (vitest runs the sources in one) there is no native import(); there
    // the sources are ES modules, whose own import() is the real one.
    if ((error as NodeJS.ErrnoException).code !== 'ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING') throw error;
    return (await import(name)) as T;
  }
}

/** Renders a Vega-Lite spec to SVG (vega's headless renderer) and PNG (resvg, {@link PNG_ZOOM}×). */
export async function renderChart(spec: VegaLiteSpec): Promise<{ svg: string; png: Buffer }> {
  const [vega, vl, { Resvg }] = await Promise.all([
    importHere<typeof import('vega')>('vega'),
    importHere<typeof import('vega-lite')>('vega-lite'),
    import('@resvg/resvg-js'),
  ]);
  // biome-ignore lint/suspicious/noExplicitAny: vega-lite's TopLevelSpec type is stricter than our builders
  const compiled = vl.compile(spec as any).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  const png = new Resvg(svg, { fitTo: { mode: 'zoom', value: PNG_ZOOM }, font: { loadSystemFonts: true } })
    .render()
    .asPng();
  return { svg, png };
}
