/**
 * The chart: end-to-end latency against offered load, p50 and p99, one colour per system, from each system's
 * throughput search. Drawn by Vega-Lite, rendered to SVG by Vega and to PNG by resvg (loaded only when drawing).
 */
import type { BenchResults } from './results';

export async function renderChart(r: BenchResults): Promise<{ svg: string; png: Buffer } | undefined> {
  const values = r.systems
    .flatMap((s) =>
      (s.ramp?.steps ?? []).flatMap((step) => [
        { system: s.name, offered: step.rate, percentile: 'p50', latency: Math.max(0.1, step.e2eMs.p50) },
        { system: s.name, offered: step.rate, percentile: 'p99', latency: Math.max(0.1, step.e2eMs.p99) },
      ]),
    )
    .filter((v) => Number.isFinite(v.latency));
  if (values.length === 0) return undefined;
  const vega = await import('vega');
  const vl = await import('vega-lite');
  const { Resvg } = await import('@resvg/resvg-js');
  const spec = vl.compile({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'End-to-end latency against offered load',
      subtitle: `${r.meta.date} ${r.meta.sha}${r.meta.quick ? ' (quick run)' : ''} — p99 limit ${r.meta.limits.e2eP99Ms} ms`,
    },
    width: 620,
    height: 360,
    background: 'white',
    layer: [
      {
        data: { values },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'offered', type: 'quantitative', title: 'offered load (events/s)', scale: { type: 'log' } },
          y: { field: 'latency', type: 'quantitative', title: 'end-to-end latency (ms)', scale: { type: 'log' } },
          color: { field: 'system', type: 'nominal', title: 'system' },
          // The dash legend has no colour of its own (colour is the system): its strokes are drawn in grey.
          strokeDash: {
            field: 'percentile',
            type: 'nominal',
            title: 'percentile',
            legend: {
              symbolType: 'stroke',
              symbolStrokeWidth: 2,
              encode: { symbols: { update: { stroke: { value: '#444' } } } },
            },
          },
          detail: { field: 'percentile' },
        },
      },
      {
        data: { values: [{ limit: r.meta.limits.e2eP99Ms }] },
        mark: { type: 'rule', color: 'gray', strokeDash: [2, 2] },
        encoding: { y: { field: 'limit', type: 'quantitative' } },
      },
    ],
  } as never).spec;
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  const png = new Resvg(svg, { font: { loadSystemFonts: true }, fitTo: { mode: 'zoom', value: 1.5 } }).render().asPng();
  return { svg, png: Buffer.from(png) };
}
