/** Renders a validation report: table (terminal), markdown, email, csv, json. */
import { getBorderCharacters, table } from "table";
import {
  analysisProvenance,
  type Provenance,
  renderContext,
  reproduceCommand,
} from "../../results/provenance.ts";
import {
  reportRenderer,
  TABULAR_REPORT_FORMATS,
  type TabularReportFormat,
} from "../report-formats.ts";
import { ascii, wrap } from "./ascii.ts";
import { VALIDATION_CASES } from "./cases.ts";
import type { ValidationReport, ValidationRow } from "./validate.ts";

export const VALIDATE_FORMATS = TABULAR_REPORT_FORMATS;
export type ValidateFormat = TabularReportFormat;

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
  "Model results (simulated machine) against published measurements. Only a validation is independent evidence: an input check's published value is an input of the cost profile (a parameter was fitted to it), and a repeat reuses another case's numbers.";

/** The command line that reruns this report in `format`. */
export function validateReproduce(report: ValidationReport, format: ValidateFormat): string {
  const words = ["npx", "pkslab", "validate"];
  const ids = report.rows.map((row) => row.id);
  const all = VALIDATION_CASES.map((c) => c.id);
  if (ids.length !== all.length || ids.some((id, i) => id !== all[i])) {
    for (const id of ids) words.push("--case", id);
  }
  for (const profile of report.profiles) {
    if (profile.file !== undefined) words.push("--profile-file", `${profile.name}=${profile.file}`);
  }
  return reproduceCommand(words, format);
}

/** The provenance of a validation report (context block and reproduce line). */
export function validationProvenance(report: ValidationReport, format: ValidateFormat): Provenance {
  return analysisProvenance({
    config: { cases: report.rows.map((row) => row.id), profiles: report.profiles },
    costProfile: report.profiles
      .map((p) => (p.file !== undefined ? `${p.name}=${p.file}` : p.name))
      .join(","),
    reproduce: validateReproduce(report, format),
  });
}

function summaryLine(report: ValidationReport): string {
  const { roles } = report;
  const known = report.knownMisses > 0 ? `, ${report.knownMisses} of them known misses` : "";
  return `${report.passed}/${report.rows.length} cases pass; independent evidence: ${roles.validation.passed} of ${roles.validation.cases} validations pass (besides ${roles["input check"].passed}/${roles["input check"].cases} input checks and ${roles.repeat.passed}/${roles.repeat.cases} repeats; ${report.failed} failed${known}).`;
}

/** Why a case is not independent, or "" for a validation. */
function roleNote(row: ValidationRow): string {
  if (row.role === "input check") {
    return row.fittedParameters.length > 0
      ? `the published value is an input of ${row.profile}: ${row.fittedParameters.join(", ")} fitted to it`
      : (row.inputCheck ?? "");
  }
  if (row.role === "repeat") return `reuses ${row.reuses.join(", ")}: ${row.reusesWhat ?? ""}`;
  return "";
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

function renderTable(report: ValidationReport, context: Provenance): string {
  let out = `pkslab validate: model vs published\n${renderContext(context, "text").join("\n")}\n${DISCLAIMER}\n\n`;
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
    if (row.role !== "validation") out += `    ${row.role}: ${roleNote(row)}\n`;
  }
  return out;
}

const md = (text: string) => text.replaceAll("|", "\\|");

function renderMarkdown(report: ValidationReport, context: Provenance): string {
  let out = `# pkslab validate\n\n${renderContext(context, "markdown").join("\n")}\n\n${DISCLAIMER}\n\n`;
  out += `| ${HEAD.join(" | ")} |\n| ${HEAD.map((_, i) => (i >= 2 && i <= 4 ? "---:" : "---")).join(" | ")} |\n`;
  for (const row of report.rows) out += `| ${cells(row).map(md).join(" | ")} |\n`;
  out += `\n${summaryLine(report)}\n\n## Fitted parameters\n\n`;
  for (const line of fitLines(report)) out += `- ${md(line)}\n`;
  out += "\n## Cases\n\n";
  for (const row of report.rows) {
    out += `- **${row.id}** (${row.reference}): ${md(row.title)}. Published: ${md(row.conditions)}; ${md(row.citation)}. Model: ${md(row.configuration)}; metric: ${md(row.metric)}. Tolerance ±${Math.round(row.tolerance * 100)}%: ${md(row.toleranceWhy)}.`;
    if (row.role !== "validation")
      out += ` ${row.role === "input check" ? "Input check" : "Repeat"}: ${md(roleNote(row))}.`;
    out += "\n";
  }
  return out;
}

function csvField(value: string | number): string {
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function renderCsv(report: ValidationReport, context: Provenance): string {
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
    "reuses",
  ];
  const lines = [...renderContext(context, "csv"), head.join(",")];
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
        row.reuses.join(" "),
      ]
        .map(csvField)
        .join(","),
    );
  }
  return `${lines.join("\n")}\n`;
}

/** Plain ASCII, 72 columns: two lines per case, then the fits and the failures. */
function renderEmail(report: ValidationReport, context: Provenance): string {
  const out: string[] = [
    "pkslab validate: model vs published",
    ...renderContext(context, "email"),
    ...wrap(DISCLAIMER),
    "",
  ];
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
    if (row.role !== "validation") out.push(...wrap(roleNote(row), "      ", "    "));
  }
  out.push("", ...wrap(summaryLine(report)), "", "Fitted parameters:");
  for (const line of fitLines(report)) out.push(...wrap(line, "    ", "  "));
  for (const row of report.rows.filter((r) => !r.pass)) {
    out.push("", ...wrap(`${row.id} failed: ${row.toleranceWhy}`));
  }
  return `${out.map(ascii).join("\n")}\n`;
}

/**
 * Renders a validation report in `format`, with its context block (version, commit,
 * hashes, profiles, disclaimer, reproduce line; default: this checkout's).
 */
export const renderValidation = reportRenderer<ValidateFormat, ValidationReport>(
  DISCLAIMER,
  validationProvenance,
  { table: renderTable, markdown: renderMarkdown, email: renderEmail, csv: renderCsv },
);
