import type { VegaLiteSpec } from './charts.js';

/**
 * The PNGs' scale over the SVGs' size. resvg's pixmaps are not given back to the system after each
 * render (glibc keeps them in the heap), so their size lifts a run's peak memory: 2× added ~18 MB
 * more than 1× over a report's eight images, and pushed a default run past 160 MB. 1.5× keeps
 * text sharp enough; the SVGs (and report.html, which inlines them) are exact at any size.
 */
export const PNG_ZOOM = 1.5;

/** Renders a Vega-Lite spec to SVG (vega's headless renderer) and PNG (resvg, {@link PNG_ZOOM}×). */
export async function renderChart(spec: VegaLiteSpec): Promise<{ svg: string; png: Buffer }> {
  const [vega, vl, { Resvg }] = await Promise.all([
    import('vega'),
    import('vega-lite'),
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
