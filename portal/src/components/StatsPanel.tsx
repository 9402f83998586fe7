import { useQuery } from '@tanstack/react-query';
import { lazy, Suspense, useState } from 'react';

import { queries } from '../api';
import { dateTime, milliseconds, percent } from '../format';
import { useSession } from '../session-context';
import { resolveMode } from '../theme';
import { summarize } from './chart-summary';
import { ErrorAlert } from './ErrorAlert';
import { Loading } from './Loading';
import { RelativeTime } from './RelativeTime';

// uPlot is loaded with the first chart, not with the portal: the webhooks list does not need it.
const StatsChart = lazy(() => import('./StatsChart').then((m) => ({ default: m.StatsChart })));

const PRESETS = [
  { window: '24h', interval: '1h', label: '24 hours' },
  { window: '7d', interval: '6h', label: '7 days' },
  { window: '30d', interval: '1d', label: '30 days' },
] as const;

/** How the endpoint has been answering: totals, the chart over a chosen window, and the same as a table. */
export function StatsPanel({ webhookId }: { webhookId: string }) {
  const [preset, setPreset] = useState<(typeof PRESETS)[number]>(PRESETS[0]);
  const session = useSession();
  const series = useQuery(queries.series(webhookId, preset.window, preset.interval));
  const stats = useQuery(queries.stats(webhookId, preset.window));
  const s = stats.data;
  return (
    <section className="panel" aria-labelledby="stats-heading">
      <div className="panel-head">
        <h2 id="stats-heading">Delivery health</h2>
        <div className="segmented" role="group" aria-label="Chart window">
          {PRESETS.map((p) => (
            <button
              key={p.window}
              type="button"
              className="segment"
              aria-pressed={p.window === preset.window}
              onClick={() => setPreset(p)}
            >
              {p.label}
            </button>
          ))}
        </div>
      </div>
      {stats.error && <ErrorAlert error={stats.error} />}
      {s && (
        <dl className="tiles">
          <div>
            <dt>Attempts</dt>
            <dd>{s.attempts}</dd>
          </div>
          <div>
            <dt>Success rate</dt>
            <dd>{percent(s.success_rate)}</dd>
          </div>
          <div>
            <dt>p50 / p95 / p99</dt>
            <dd>
              {milliseconds(s.response_time_ms.p50)} / {milliseconds(s.response_time_ms.p95)} /{' '}
              {milliseconds(s.response_time_ms.p99)}
            </dd>
          </div>
          <div>
            <dt>Failures in a row</dt>
            <dd>{s.consecutive_failures}</dd>
          </div>
        </dl>
      )}
      {s?.last_error && (
        <p className="hint">
          Last error <RelativeTime at={s.last_error.at} />:{' '}
          {s.last_error.status_code !== null ? `HTTP ${s.last_error.status_code}` : s.last_error.error_class}
          {s.last_error.error_message && s.last_error.error_message !== `HTTP ${s.last_error.status_code}`
            ? ` — ${s.last_error.error_message}`
            : ''}
        </p>
      )}
      {series.isPending && <Loading what="Loading the chart…" />}
      {series.error && <ErrorAlert error={series.error} />}
      {series.data && (
        <>
          <figure className="figure">
            <Suspense fallback={<div className="chart" aria-hidden="true" />}>
              <StatsChart points={series.data.points} mode={resolveMode(session.theme)} />
            </Suspense>
            <figcaption>{summarize(series.data.points, preset.label)}</figcaption>
          </figure>
          <details>
            <summary>Show the data as a table</summary>
            <div className="table-wrap">
              <table className="table table-compact">
                <caption className="visually-hidden">
                  Attempts, success rate and response times per {preset.interval} over the last {preset.label}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">From</th>
                    <th scope="col" className="num">
                      Attempts
                    </th>
                    <th scope="col" className="num">
                      Success rate
                    </th>
                    <th scope="col" className="num">
                      p50
                    </th>
                    <th scope="col" className="num">
                      p95
                    </th>
                    <th scope="col" className="num">
                      p99
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {series.data.points.map((p) => (
                    <tr key={p.start}>
                      <th scope="row">{dateTime(p.start)}</th>
                      <td className="num">{p.attempts}</td>
                      <td className="num">{percent(p.success_rate)}</td>
                      <td className="num">{milliseconds(p.response_time_ms.p50)}</td>
                      <td className="num">{milliseconds(p.response_time_ms.p95)}</td>
                      <td className="num">{milliseconds(p.response_time_ms.p99)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </details>
        </>
      )}
    </section>
  );
}
