/** The sweep's charts: per workload and metric, the metric against the swept parameter(s), one line per strategy (Vega-Lite specs, for the HTML report and --format png). */

import type { TopLevelSpec } from "vega-lite";
import { parametersLabel, type SweepData } from "./sweep-common.ts";

/** A chart of a sweep, named for file names (PNG export) and titled for pages. */
export interface SweepChart {
  readonly name: string;
  readonly title: string;
  readonly spec: TopLevelSpec;
}

/**
 * The line chart of one metric of one workload against the first swept parameter: a line
 * (with its 95% CI band) per strategy; with a second parameter, one panel per value of it.
 * A numeric first parameter gets a numeric axis (logarithmic when all values are positive
 * and span a factor of 16 or more), anything else an ordered category axis.
 */
export function sweepChart(
  data: SweepData,
  workload: string,
  metric: string,
): TopLevelSpec | undefined {
  const numeric = data.points.every((p) => Number.isFinite(Number(p.values[0])));
  const values: {
    value: number | string;
    panel: string;
    strategy: string;
    mean: number;
    low: number;
    high: number;
  }[] = [];
  for (const point of data.points) {
    for (const cell of point.doc.results) {
      const s = cell.workload === workload ? cell.summary[metric] : undefined;
      // Only cells that did their work (ok, partial) are drawn.
      if (!s || s.mean === null || cell.status === "unsupported" || cell.status === "failed")
        continue;
      values.push({
        value: numeric ? Number(point.values[0]) : point.values[0],
        panel: point.values[1] ?? "",
        strategy: cell.strategy,
        mean: s.mean,
        low: s.ciLow ?? s.mean,
        high: s.ciHigh ?? s.mean,
      });
    }
  }
  if (values.length === 0) return undefined;
  const xs = values.map((v) => Number(v.value));
  const positive = numeric && xs.every((x) => x > 0);
  const span = positive ? Math.max(...xs) / Math.min(...xs) : 0;
  const x = numeric
    ? {
        field: "value",
        type: "quantitative" as const,
        title: data.parameters[0],
        scale: positive && span >= 16 ? { type: "log" as const, nice: false } : { zero: false },
        // Ticks at the swept values: those are the points measured.
        axis: { values: [...new Set(xs)].sort((a, b) => a - b), labelOverlap: true },
      }
    : { field: "value", type: "ordinal" as const, title: data.parameters[0], sort: null };
  const color = { field: "strategy", type: "nominal" as const, sort: null };
  const layer = [
    {
      mark: { type: "area" as const, opacity: 0.2 },
      encoding: {
        x,
        y: { field: "low", type: "quantitative" as const },
        y2: { field: "high" },
        color,
      },
    },
    {
      mark: { type: "line" as const, point: true },
      encoding: {
        x,
        y: {
          field: "mean",
          type: "quantitative" as const,
          title: `${metric} (mean, 95% CI)`,
        },
        color,
      },
    },
  ];
  const common = {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    config: { font: "system-ui, sans-serif" },
    data: { values },
  };
  if (data.parameters.length < 2) return { ...common, width: 560, height: 260, layer };
  const panels = [...new Set(data.points.map((p) => p.values[1]))];
  return {
    ...common,
    columns: Math.min(panels.length, 3),
    facet: {
      field: "panel",
      type: "ordinal",
      sort: panels,
      title: data.parameters[1],
    },
    spec: { width: 220, height: 180, layer },
  } as TopLevelSpec;
}

/** Every chart of a sweep, workload by workload and metric by metric. */
export function sweepCharts(data: SweepData): SweepChart[] {
  const first = data.points[0]?.doc;
  if (!first) return [];
  const charts: SweepChart[] = [];
  for (const workload of first.context.config.workloads.map((w) => w.name)) {
    for (const metric of data.metrics) {
      const spec = sweepChart(data, workload, metric);
      if (!spec) continue;
      charts.push({
        name: `${workload}-${metric}`,
        title: `${workload}: ${metric} against ${parametersLabel(data)}`,
        spec,
      });
    }
  }
  return charts;
}
