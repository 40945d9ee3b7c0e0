import { formatTokens } from "~/server/services/billing/get-balance";
import type { EarningsSeries } from "~/server/services/providers/earnings-series";
import styles from "./workers.module.css";

const WIDTH = 720;
const HEIGHT = 140;
const AXIS = 18;

function label(iso: string, bucket: "hour" | "day"): string {
  return bucket === "hour" ? `${iso.slice(11, 13)}:00` : iso.slice(5, 10);
}

/**
 * Earnings as SVG bars, one per hour or day. The picture is decorative for assistive
 * technology: the text summary under it says the same in words.
 */
export function EarningsChart({ series, id }: { series: EarningsSeries; id: string }) {
  const amounts = series.points.map((p) => BigInt(p.amount));
  const max = amounts.reduce((m, a) => (a > m ? a : m), 0n);
  const slot = WIDTH / series.points.length;
  const unit = series.bucket === "hour" ? "hour" : "day";
  const span = series.bucket === "hour" ? "the last 24 hours" : "the last 14 days";
  let best = -1;
  amounts.forEach((a, i) => {
    if (a > 0n && (best < 0 || a > (amounts[best] ?? 0n))) best = i;
  });
  const bestPoint = best >= 0 ? series.points[best] : undefined;
  const summary =
    max === 0n
      ? `Nothing earned in ${span}.`
      : `${formatTokens(series.total)} tokens earned in ${span}; the best ${unit} was ${bestPoint ? `${label(bestPoint.start, series.bucket)} UTC` : ""} with ${formatTokens(bestPoint?.amount ?? "0")} tokens.`;
  return (
    <figure style={{ margin: "12px 0" }}>
      <svg className={styles.chart} viewBox={`0 0 ${WIDTH} ${HEIGHT}`} preserveAspectRatio="none" aria-hidden="true" focusable="false">
        {series.points.map((p, i) => {
          const a = BigInt(p.amount);
          const h = max === 0n ? 0 : Math.max(a > 0n ? 2 : 0, Number((a * BigInt(HEIGHT - AXIS - 4)) / max));
          return (
            <rect key={p.start} className={styles.bar} x={i * slot + 2} y={HEIGHT - AXIS - h} width={Math.max(1, slot - 4)} height={h} />
          );
        })}
        <line x1={0} x2={WIDTH} y1={HEIGHT - AXIS} y2={HEIGHT - AXIS} stroke="#cbd5e1" />
        {series.points.map((p, i) =>
          i % (series.bucket === "hour" ? 6 : 2) === 0 ? (
            <text key={p.start} className={styles.axis} x={i * slot + 2} y={HEIGHT - 4}>
              {label(p.start, series.bucket)}
            </text>
          ) : null,
        )}
      </svg>
      <figcaption id={id} data-chart-summary>
        {summary}
      </figcaption>
    </figure>
  );
}
