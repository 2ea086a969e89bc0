/**
 * PNG export of a comparison's charts, for slides: the same vega-lite charts as the HTML
 * report, rendered to SVG in Node and rasterised with resvg. One file per chart.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { Resvg } from "@resvg/resvg-js";
import type { TopLevelSpec } from "vega-lite";
import { writeFileAtomic } from "../../core/atomic-write.ts";
import type { ResultDocument } from "../results/results.ts";
import { comparisonCharts, specToSvg } from "./charts.ts";
import { sweepCharts } from "./sweep-charts.ts";
import type { SweepData } from "./sweep-common.ts";

/** A file name from a chart name: lower-case letters, digits and dashes only. */
function fileName(name: string): string {
  return `${
    name
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, "-")
      .replace(/^-+|-+$/g, "") || "chart"
  }.png`;
}

/** Rasterises one SVG at twice its size (crisp on slides). */
export function svgToPng(svg: string): Uint8Array {
  const resvg = new Resvg(svg, {
    fitTo: { mode: "zoom", value: 2 },
    background: "white",
    font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" },
  });
  return resvg.render().asPng();
}

/** Writes each chart as `<dir>/<name>.png` (creating the directory); returns the paths. */
async function writeCharts(
  charts: readonly { name: string; spec: TopLevelSpec }[],
  dir: string,
): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const chart of charts) {
    const path = join(dir, fileName(chart.name));
    writeFileAtomic(path, svgToPng(await specToSvg(chart.spec, chart.name)));
    written.push(path);
  }
  return written;
}

/** Writes every chart of a comparison, in page order; returns the paths written. */
export function writePngCharts(doc: ResultDocument, dir: string): Promise<string[]> {
  return writeCharts(comparisonCharts(doc), dir);
}

/** Writes every chart of a sweep as `<dir>/<workload>-<metric>.png`; returns the paths. */
export function writeSweepPngCharts(data: SweepData, dir: string): Promise<string[]> {
  return writeCharts(sweepCharts(data), dir);
}
