/** Renders a claims report: table (terminal text), markdown, email, json. */
import {
  analysisProvenance,
  type Provenance,
  renderContext,
  reproduceCommand,
} from "../../results/provenance.ts";
import { reportRenderer } from "../report-formats.ts";
import { ascii, wrap } from "../validate/ascii.ts";
import { VERDICTS } from "./claims.ts";
import type { ClaimOutcome, ClaimsReport } from "./evaluate.ts";

export const CLAIMS_FORMATS = ["table", "markdown", "email", "json"] as const;
export type ClaimsFormat = (typeof CLAIMS_FORMATS)[number];

const DISCLAIMER =
  "Verdicts of the model (simulated machine), not measurements. Each predicate tests what the quoted speaker said and nothing more. tie = the two sides are equal: neither support nor refutation; cells identical in every metric (the strategies' mechanisms coincide on that workload) are a tie by construction and count as no evidence. Robust = the verdict holds with every unverified or derived cost parameter at each end of its documented range (one at a time) and all of them at the low and at the high corner.";

/** How `pkslab claims` was invoked, beyond what the report records (for its reproduce line). */
export interface ClaimsInvocation {
  /** The --profile argument (a name or a file), when given. */
  readonly profile?: string;
  /** The --claims files, in order. */
  readonly claimsFiles?: readonly string[];
  /** False with --no-builtin. */
  readonly builtin?: boolean;
}

/** The command line that reruns this report in `format`. */
export function claimsReproduce(
  report: ClaimsReport,
  format: ClaimsFormat,
  invocation: ClaimsInvocation = {},
): string {
  const words = ["npx", "pkslab", "claims", "--cpus", String(report.cpus)];
  words.push("--seeds", String(report.seeds.length));
  if (invocation.profile !== undefined) words.push("--profile", invocation.profile);
  if (report.claims.every((claim) => claim.robustness === undefined)) words.push("--no-robustness");
  if (invocation.builtin === false) words.push("--no-builtin");
  for (const file of invocation.claimsFiles ?? []) words.push("--claims", file);
  return reproduceCommand(words, format);
}

/** The provenance of a claims report (context block and reproduce line). */
export function claimsProvenance(
  report: ClaimsReport,
  format: ClaimsFormat,
  invocation: ClaimsInvocation = {},
): Provenance {
  return analysisProvenance({
    config: {
      claims: report.claims.map((claim) => ({ id: claim.id, predicate: claim.predicate })),
      profile: report.profile,
      profileHash: report.profileHash,
      cpus: report.cpus,
      seeds: report.seeds,
      workloadParams: report.workloadParams,
      sweptParameters: report.sweptParameters,
    },
    costProfile: report.profile,
    reproduce: claimsReproduce(report, format, invocation),
  });
}

/** "3 supported, 1 tie, ..." in verdict order. */
function countsLine(report: ClaimsReport): string {
  const counts = VERDICTS.map(
    (verdict) => [verdict, report.claims.filter((c) => c.verdict === verdict).length] as const,
  ).filter(([, n]) => n > 0);
  return `${report.claims.length} claims: ${counts.map(([v, n]) => `${n} ${v}`).join(", ")}`;
}

/** "robust", "depends on: a=1 (refuted), b=2 (not decidable)", or "not checked". */
export function robustnessText(claim: ClaimOutcome): string {
  const r = claim.robustness;
  if (!r) return "not checked";
  if (r.robust) return `robust (${r.variants} variants)`;
  return `depends on: ${r.flips
    .map((f) =>
      f.parameter !== undefined && f.threshold !== undefined
        ? `${f.parameter} ${f.direction === "above" ? ">=" : "<="} ~${f.threshold} (range end ${f.label.split("=")[1]}) -> ${f.verdict}`
        : `${f.label} -> ${f.verdict}`,
    )
    .join("; ")}`;
}

/** "same at 16 CPUs" or "at 16 CPUs: supported (evidence)". */
export function cpusText(claim: ClaimOutcome): string | undefined {
  if (!claim.atCpus || claim.atCpus.length === 0) return undefined;
  return claim.atCpus
    .map((at) =>
      at.verdict === claim.verdict
        ? `same verdict at ${at.cpus} CPUs`
        : `at ${at.cpus} CPUs: ${at.verdict} (${at.evidence.join("; ")})`,
    )
    .join("; ");
}

function header(report: ClaimsReport): string[] {
  const params = Object.entries(report.workloadParams)
    .map(
      ([w, p]) =>
        `${w} ${Object.entries(p)
          .map(([k, v]) => `${k}=${v}`)
          .join(" ")}`,
    )
    .join(", ");
  return [
    `profile ${report.profile}, ${report.cpus} CPUs, seeds ${report.seeds.join(",")}`,
    `workloads: ${params}`,
    report.sweptParameters.length > 0
      ? `swept (unverified/derived): ${report.sweptParameters.join(", ")}`
      : "robustness sweep not run",
  ];
}

function renderTable(report: ClaimsReport, context: Provenance): string {
  let out = `pkslab claims: LSFMM 2022 (LWN 894531) claims against the model\n`;
  out += `${renderContext(context, "text").join("\n")}\n${DISCLAIMER}\n`;
  out += `${header(report).join("\n")}\n`;
  out += `\n${countsLine(report)}\n`;
  report.claims.forEach((claim, i) => {
    out += `\n${i + 1}. ${claim.id}: ${claim.verdict.toUpperCase()}`;
    out += `  [${robustnessText(claim)}]\n`;
    out += `   quote: "${claim.quote}" (${claim.speaker})\n`;
    out += `   tested: ${claim.predicate}\n`;
    if (claim.setup) out += `   setup: ${claim.setup}\n`;
    for (const line of claim.evidence) out += `   - ${line}\n`;
    const cpus = cpusText(claim);
    if (cpus) out += `   machine size: ${cpus}\n`;
  });
  return out;
}

const md = (text: string) => text.replaceAll("|", "\\|");

function renderMarkdown(report: ClaimsReport, context: Provenance): string {
  let out = `# pkslab claims\n\n${renderContext(context, "markdown").join("\n")}\n\n${md(DISCLAIMER)}\n\n${countsLine(report)}.\n\n${header(
    report,
  )
    .map((line) => `- ${md(line)}`)
    .join("\n")}\n\n`;
  out +=
    "| # | claim | verdict | robustness | other machine sizes |\n| --- | --- | --- | --- | --- |\n";
  report.claims.forEach((claim, i) => {
    const others = (claim.atCpus ?? []).map((at) => `${at.cpus} CPUs: ${at.verdict}`).join(", ");
    out += `| ${i + 1} | ${claim.id} | ${claim.verdict} | ${md(robustnessText(claim))} | ${others || "-"} |\n`;
  });
  report.claims.forEach((claim, i) => {
    out += `\n## ${i + 1}. ${claim.id}: ${claim.verdict}\n\n`;
    out += `> ${md(claim.quote)} (${md(claim.speaker)}; ${md(claim.source)})\n\n`;
    out += `Tested: ${md(claim.predicate)}.\n\n`;
    if (claim.setup) out += `Setup: ${md(claim.setup)}.\n\n`;
    for (const line of claim.evidence) out += `- ${md(line)}\n`;
    out += `\nRobustness: ${md(robustnessText(claim))}.\n`;
    const cpus = cpusText(claim);
    if (cpus) out += `\nMachine size: ${md(cpus)}.\n`;
  });
  return out;
}

/** Plain ASCII, 72 columns. */
function renderEmail(report: ClaimsReport, context: Provenance): string {
  const out: string[] = [
    "pkslab claims: LSFMM 2022 (LWN 894531) against the model",
    ...renderContext(context, "email"),
    ...wrap(DISCLAIMER),
  ];
  for (const line of header(report)) out.push(...wrap(line, "  "));
  out.push(...wrap(countsLine(report)));
  report.claims.forEach((claim, i) => {
    out.push("", `${i + 1}. ${claim.id}: ${claim.verdict.toUpperCase()}`);
    out.push(...wrap(`"${claim.quote}" (${claim.speaker})`, "   ", "   "));
    out.push(...wrap(`tested: ${claim.predicate}`, "   ", "   "));
    if (claim.setup) out.push(...wrap(`setup: ${claim.setup}`, "   ", "   "));
    for (const line of claim.evidence) out.push(...wrap(line, "     ", "   - "));
    out.push(...wrap(`robustness: ${robustnessText(claim)}`, "   ", "   "));
    const cpus = cpusText(claim);
    if (cpus) out.push(...wrap(`machine size: ${cpus}`, "   ", "   "));
  });
  return `${out.map(ascii).join("\n")}\n`;
}

/**
 * Renders a claims report in `format`, with its context block (version, commit, hashes,
 * profile, disclaimer, reproduce line; default: this checkout's, as if run with defaults).
 */
export const renderClaims = reportRenderer<ClaimsFormat, ClaimsReport>(
  DISCLAIMER,
  claimsProvenance,
  { table: renderTable, markdown: renderMarkdown, email: renderEmail },
);
