/** Renders a validation report: table (terminal), markdown, csv, json. */
import { getBorderCharacters, table } from "table";
import { ascii, wrap } from "./ascii.ts";
import type { ValidationReport, ValidationRow } from "./validate.ts";

export const VALIDATE_FORMATS = ["table", "markdown", "email", "csv", "json"] as const;
export type ValidateFormat = (typeof VALIDATE_FORMATS)[number];

/** Four significant digits, thousands separated, no exponent for the ranges used here. */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  const digits = abs >= 1000 ? 0 : abs >= 100 ? 1 : abs >= 10 ? 2 : 3;
  return value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

const DISCLAIMER =
  "Model results (simulated machine) against published measurements. A fitted case was used to set a profile parameter and is not independent evidence.";

function summaryLine(report: ValidationReport): string {
  const checks =
    report.inputChecks > 0
      ? `, ${report.inputChecks} input check${report.inputChecks === 1 ? "" : "s"}`
      : "";
  const known = report.knownMisses > 0 ? `, ${report.knownMisses} of them known misses` : "";
  return `${report.passed}/${report.rows.length} cases pass (${report.fitted} fitted, ${report.independent} independent${checks}; ${report.failed} failed${known}).`;
}

function fitLines(report: ValidationReport): string[] {
  return report.fits.map(
    (fit) =>
      `${fit.profile}.${fit.parameter} = ${formatValue(fit.value)} ${fit.unit} (fitted to ${fit.cases.join(", ")})`,
  );
}

const cells = (row: ValidationRow) => [
  row.id,
  row.reference,
  `${formatValue(row.published)} ${row.unit}`,
  `${formatValue(row.model)} ${row.unit}`,
  row.ratio.toFixed(3),
  `±${Math.round(row.tolerance * 100)}%`,
  row.pass ? "pass" : "FAIL",
  row.role,
];
const HEAD = ["case", "ref", "published", "model", "ratio", "tol", "result", "role"];

function renderTable(report: ValidationReport): string {
  let out = `pkslab validate: model vs published\n${DISCLAIMER}\n\n`;
  out += table([HEAD, ...report.rows.map(cells)], {
    border: getBorderCharacters("norc"),
    columns: { 2: { alignment: "right" }, 3: { alignment: "right" }, 4: { alignment: "right" } },
  });
  out += `\n${summaryLine(report)}\n\nFitted parameters:\n`;
  for (const line of fitLines(report)) out += `  ${line}\n`;
  const failed = report.rows.filter((row) => !row.pass);
  if (failed.length > 0) {
    out += "\nFailed:\n";
    for (const row of failed) {
      out += `  ${row.id}: model ${formatValue(row.model)} vs published ${formatValue(row.published)} ${row.unit} (ratio ${row.ratio.toFixed(3)}, tolerance ±${Math.round(row.tolerance * 100)}%: ${row.toleranceWhy})\n`;
      if (row.knownMiss) out += `    known miss: ${row.knownMiss}\n`;
    }
  }
  out += "\nCases:\n";
  for (const row of report.rows) {
    out += `  ${row.id} [${row.reference}] ${row.title}\n`;
    out += `    published: ${row.conditions}. ${row.citation}\n`;
    out += `    model: ${row.configuration}\n    metric: ${row.metric}\n`;
    out += `    tolerance ±${Math.round(row.tolerance * 100)}%: ${row.toleranceWhy}\n`;
    if (row.fittedParameters.length > 0) {
      out += `    fitted here: ${row.fittedParameters.join(", ")}\n`;
    }
    if (row.inputCheck) out += `    input check: ${row.inputCheck}\n`;
  }
  return out;
}

const md = (text: string) => text.replaceAll("|", "\\|");

function renderMarkdown(report: ValidationReport): string {
  let out = `# pkslab validate\n\n${DISCLAIMER}\n\n`;
  out += `| ${HEAD.join(" | ")} |\n| ${HEAD.map((_, i) => (i >= 2 && i <= 4 ? "---:" : "---")).join(" | ")} |\n`;
  for (const row of report.rows) out += `| ${cells(row).map(md).join(" | ")} |\n`;
  out += `\n${summaryLine(report)}\n\n## Fitted parameters\n\n`;
  for (const line of fitLines(report)) out += `- ${md(line)}\n`;
  out += "\n## Cases\n\n";
  for (const row of report.rows) {
    out += `- **${row.id}** (${row.reference}): ${md(row.title)}. Published: ${md(row.conditions)}; ${md(row.citation)}. Model: ${md(row.configuration)}; metric: ${md(row.metric)}. Tolerance ±${Math.round(row.tolerance * 100)}%: ${md(row.toleranceWhy)}.`;
    if (row.fittedParameters.length > 0) out += ` Fitted here: ${row.fittedParameters.join(", ")}.`;
    out += "\n";
  }
  return out;
}

function csvField(value: string | number): string {
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function renderCsv(report: ValidationReport): string {
  const head = [
    "case",
    "reference",
    "profile",
    "published",
    "model",
    "unit",
    "ratio",
    "tolerance",
    "result",
    "role",
    "fitted_parameters",
  ];
  const lines = [head.join(",")];
  for (const row of report.rows) {
    lines.push(
      [
        row.id,
        row.reference,
        row.profile,
        row.published,
        row.model,
        row.unit,
        row.ratio,
        row.tolerance,
        row.pass ? "pass" : "fail",
        row.role,
        row.fittedParameters.join(" "),
      ]
        .map(csvField)
        .join(","),
    );
  }
  return `${lines.join("\n")}\n`;
}

/** Plain ASCII, 72 columns: two lines per case, then the fits and the failures. */
function renderEmail(report: ValidationReport): string {
  const out: string[] = ["pkslab validate: model vs published", ...wrap(DISCLAIMER), ""];
  for (const row of report.rows) {
    const status = `${row.pass ? "pass" : "FAIL"}  ${row.role}`;
    const name = `${row.id} (${row.reference})`;
    out.push(`${name}${" ".repeat(Math.max(1, 72 - name.length - status.length))}${status}`);
    out.push(
      ...wrap(
        `published ${formatValue(row.published)} ${row.unit}, model ${formatValue(row.model)} ${row.unit}, ratio ${row.ratio.toFixed(3)} (tolerance ±${Math.round(row.tolerance * 100)}%)`,
        "    ",
        "  ",
      ),
    );
  }
  out.push("", ...wrap(summaryLine(report)), "", "Fitted parameters:");
  for (const line of fitLines(report)) out.push(...wrap(line, "    ", "  "));
  for (const row of report.rows.filter((r) => !r.pass)) {
    out.push("", ...wrap(`${row.id} failed: ${row.toleranceWhy}`));
  }
  return `${out.map(ascii).join("\n")}\n`;
}

export function renderValidation(report: ValidationReport, format: ValidateFormat): string {
  switch (format) {
    case "table":
      return renderTable(report);
    case "markdown":
      return renderMarkdown(report);
    case "email":
      return renderEmail(report);
    case "csv":
      return renderCsv(report);
    case "json":
      return `${JSON.stringify({ disclaimer: DISCLAIMER, ...report }, null, 2)}\n`;
  }
}
