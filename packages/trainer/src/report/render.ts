import type { VegaLiteSpec } from './charts.js';

/** Renders a Vega-Lite spec to SVG (vega's headless renderer) and PNG (resvg, 2× for sharpness). */
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
  const png = new Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, font: { loadSystemFonts: true } })
    .render()
    .asPng();
  return { svg, png };
}
