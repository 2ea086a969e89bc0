/**
 * The formats of an analysis report that carries its own context block and disclaimer
 * (claims, validate): json is the same for each, the other formats are the analysis's own.
 */
import type { Provenance } from "../results/provenance.ts";

/** An analysis's renderers: one a format but json, each given the report and its context. */
export type ReportRenderers<F extends string, R> = Record<
  Exclude<F, "json">,
  (report: R, context: Provenance) => string
>;

/**
 * `report` in `format`: json is the context block, the analysis's disclaimer and the
 * report's own members; any other format, its renderer's text.
 */
export function renderReport<F extends string, R extends object>(
  report: R,
  format: F,
  context: Provenance,
  disclaimer: string,
  renderers: ReportRenderers<F, R>,
): string {
  if (format === "json") return `${JSON.stringify({ context, disclaimer, ...report }, null, 2)}\n`;
  return renderers[format as Exclude<F, "json">](report, context);
}
