/**
 * The formats of an analysis report that carries its own context block and disclaimer
 * (claims, validate): json is the same for each, the other formats are the analysis's own.
 */
import type { Provenance } from "../results/provenance.ts";

/** The formats of an analysis whose report is rows without charts (census, validate). */
export const TABULAR_REPORT_FORMATS = ["table", "markdown", "email", "csv", "json"] as const;
export type TabularReportFormat = (typeof TABULAR_REPORT_FORMATS)[number];

/** An analysis's renderers: one a format but json, each given the report and its context. */
export type ReportRenderers<F extends string, R> = Record<
  Exclude<F, "json">,
  (report: R, context: Provenance) => string
>;

/**
 * An analysis's render function: `report` in `format`, with its context block (by default
 * `provenance` of the report, this checkout's). json is the context block, the analysis's
 * disclaimer and the report's own members; any other format, its renderer's text.
 */
export function reportRenderer<F extends string, R extends object>(
  disclaimer: string,
  provenance: (report: R, format: F) => Provenance,
  renderers: ReportRenderers<F, R>,
): (report: R, format: F, context?: Provenance) => string {
  return (report, format, context = provenance(report, format)) => {
    if (format === "json") {
      return `${JSON.stringify({ context, disclaimer, ...report }, null, 2)}\n`;
    }
    return renderers[format as Exclude<F, "json">](report, context);
  };
}
