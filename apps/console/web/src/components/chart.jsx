/** A small line chart of recent numeric values (inline SVG), with its range in words for screen readers. */
export function Chart({ title, units, points }) {
  const W = 280;
  const H = 90;
  const PAD = 4;
  if (points.length === 0) return null;
  const values = points.map((p) => p.v);
  const times = points.map((p) => p.t);
  const min = Math.min(...values);
  const max = Math.max(...values);
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  const x = (t) => (t1 === t0 ? W / 2 : PAD + ((t - t0) / (t1 - t0)) * (W - 2 * PAD));
  const y = (v) => (max === min ? H / 2 : H - PAD - ((v - min) / (max - min)) * (H - 2 * PAD));
  const line = points.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
  const unit = units ? ` ${units}` : '';
  const round = (v) => (Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(4)).toString());
  const last = points[points.length - 1];
  return (
    <figure class="chart">
      <figcaption>
        <span class="chart-title">{title}</span>
        <span class="chart-last">
          {round(last.v)}
          {unit}
        </span>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${title}: ${points.length} recent values from ${round(min)} to ${round(max)}${unit}`}>
        <line x1="0" y1={H - 1} x2={W} y2={H - 1} class="axis" />
        <polyline points={line} class="series" fill="none" />
        <circle cx={x(last.t)} cy={y(last.v)} r="3" class="dot" />
      </svg>
      <div class="chart-range">
        <span>
          min {round(min)}
          {unit}
        </span>
        <span>
          max {round(max)}
          {unit}
        </span>
      </div>
    </figure>
  );
}
