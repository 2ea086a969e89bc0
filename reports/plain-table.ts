import { table } from "table";
import type { CellResult } from "../core/compare.ts";
import { summarize } from "./stats.ts";

/** Columns of the plain comparison table: metric, header, decimals. */
const COLUMNS: readonly [string, string, number][] = [
  ["cost.cycles_per_op", "cycles/op", 0],
  ["events.pkrs_writes", "PKRS wr", 0],
  ["events.ipis", "IPIs", 0],
  ["events.shootdowns", "shootdn", 0],
  ["events.tlb_misses", "TLB miss", 0],
  ["events.direct_map_splits", "splits", 0],
  ["coverage.blocked_ratio", "blocked", 2],
  ["compat.false_faults", "false flt", 0],
  ["exposure.page_cycles", "exposure", 0],
];

function format(value: number, decimals: number): string {
  if (!Number.isFinite(value)) return "-";
  if (Math.abs(value) >= 1e7) return value.toExponential(2);
  return value.toFixed(decimals);
}

/**
 * A plain terminal table per workload: one row per strategy, seed means of the main
 * metrics, and cycles/op relative to the baseline strategy.
 */
export function renderPlainTable(results: readonly CellResult[], baseline: string): string {
  const byWorkload = new Map<string, CellResult[]>();
  for (const cell of results) {
    const list = byWorkload.get(cell.workload) ?? [];
    list.push(cell);
    byWorkload.set(cell.workload, list);
  }
  let out = "";
  for (const [workload, cells] of byWorkload) {
    const base = cells.find((cell) => cell.strategy === baseline);
    const baseMean = base
      ? summarize(base.runs.map((run) => run.metrics["cost.cycles_per_op"])).mean
      : Number.NaN;
    const rows: string[][] = [["strategy", ...COLUMNS.map(([, header]) => header), "vs base"]];
    for (const cell of cells) {
      if (cell.status === "error" || cell.runs.length === 0) {
        rows.push([cell.strategy, ...COLUMNS.map(() => "-"), `${cell.status}`]);
        continue;
      }
      const means = COLUMNS.map(([metric, , decimals]) =>
        format(summarize(cell.runs.map((run) => run.metrics[metric] ?? 0)).mean, decimals),
      );
      const cycles = summarize(cell.runs.map((run) => run.metrics["cost.cycles_per_op"])).mean;
      const delta =
        Number.isFinite(baseMean) && baseMean > 0
          ? `${(((cycles - baseMean) / baseMean) * 100).toFixed(1)}%`
          : "-";
      rows.push([
        cell.status === "ok" ? cell.strategy : `${cell.strategy} (${cell.status})`,
        ...means,
        delta,
      ]);
    }
    out += `workload ${workload}\n${table(rows, { drawHorizontalLine: (index, size) => index <= 1 || index === size })}`;
  }
  return out;
}
