import 'uplot/dist/uPlot.min.css';

import { useEffect, useRef } from 'react';
import uPlot from 'uplot';

import type { SeriesPoint } from '../api';
import { milliseconds } from '../format';

const HEIGHT = 240;

/** Colours from the palette of the current mode (styles.css), so the chart follows light and dark. */
function palette() {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string) => css.getPropertyValue(name).trim();
  return {
    text: v('--text-muted'),
    grid: v('--border'),
    rate: v('--chart-rate'),
    p50: v('--chart-p50'),
    p95: v('--chart-p95'),
    p99: v('--chart-p99'),
  };
}

/**
 * Success rate (left axis) and p50/p95/p99 response times (right axis) over time, drawn by uPlot. The canvas is
 * hidden from assistive technology; the caption and the data table beside it say the same in text.
 */
export function StatsChart({ points, mode }: { points: SeriesPoint[]; mode: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const c = palette();
    const ms = (p: SeriesPoint, key: 'p50' | 'p95' | 'p99') => p.response_time_ms[key];
    const data: uPlot.AlignedData = [
      points.map((p) => Date.parse(p.start) / 1000),
      points.map((p) => (p.success_rate === null ? null : p.success_rate * 100)),
      points.map((p) => ms(p, 'p50')),
      points.map((p) => ms(p, 'p95')),
      points.map((p) => ms(p, 'p99')),
    ];
    const axis = { stroke: c.text, grid: { stroke: c.grid, width: 1 }, ticks: { stroke: c.grid, width: 1 } };
    const msSeries = (label: string, stroke: string, dash?: number[]): uPlot.Series => ({
      label,
      scale: 'ms',
      stroke,
      width: 1.5,
      ...(dash ? { dash } : {}),
      value: (_u, v) => milliseconds(v),
    });
    const plot = new uPlot(
      {
        width: Math.max(el.clientWidth, 280),
        height: HEIGHT,
        scales: {
          x: { time: true },
          rate: { range: [0, 100] },
          ms: { range: (_u, _min, max) => [0, Math.max(max ?? 0, 10) * 1.1] },
        },
        axes: [
          axis,
          { ...axis, scale: 'rate', size: 50, values: (_u, ticks) => ticks.map((t) => `${t}%`) },
          { ...axis, scale: 'ms', side: 1, size: 60, grid: { show: false }, values: (_u, t) => t.map(milliseconds) },
        ],
        series: [
          {},
          {
            label: 'Success rate',
            scale: 'rate',
            stroke: c.rate,
            width: 2,
            points: { show: true, size: 4 },
            value: (_u, v) => (v === null ? '—' : `${v.toFixed(1)}%`),
          },
          msSeries('p50', c.p50),
          msSeries('p95', c.p95, [6, 3]),
          msSeries('p99', c.p99, [2, 3]),
        ],
      },
      data,
      el,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(el.clientWidth, 280), height: HEIGHT }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [points, mode]);
  return <div ref={box} className="chart" aria-hidden="true" />;
}
