/** Renders a claims report: table (terminal text), markdown, json. */
import { ascii, wrap } from "../validate/ascii.ts";
import type { ClaimOutcome, ClaimsReport } from "./evaluate.ts";

export const CLAIMS_FORMATS = ["table", "markdown", "email", "json"] as const;
export type ClaimsFormat = (typeof CLAIMS_FORMATS)[number];

const DISCLAIMER =
  "Verdicts of the model (simulated machine), not measurements. Robust = the verdict holds with every unverified or derived cost parameter at each end of its documented range (one at a time) and all of them at the low and at the high corner.";

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

function renderTable(report: ClaimsReport): string {
  let out = `pkslab claims: LSFMM 2022 (LWN 894531) claims against the model\n${DISCLAIMER}\n`;
  out += `${header(report).join("\n")}\n`;
  const counts = new Map<string, number>();
  for (const c of report.claims) counts.set(c.verdict, (counts.get(c.verdict) ?? 0) + 1);
  out += `\n${report.claims.length} claims: ${[...counts.entries()].map(([v, n]) => `${n} ${v}`).join(", ")}\n`;
  report.claims.forEach((claim, i) => {
    out += `\n${i + 1}. ${claim.id}: ${claim.verdict.toUpperCase()}`;
    out += `  [${robustnessText(claim)}]\n`;
    out += `   quote: "${claim.quote}" (${claim.speaker})\n`;
    out += `   tested: ${claim.predicate}\n`;
    for (const line of claim.evidence) out += `   - ${line}\n`;
    const cpus = cpusText(claim);
    if (cpus) out += `   machine size: ${cpus}\n`;
  });
  return out;
}

const md = (text: string) => text.replaceAll("|", "\\|");

function renderMarkdown(report: ClaimsReport): string {
  let out = `# pkslab claims\n\n${DISCLAIMER}\n\n${header(report)
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
    for (const line of claim.evidence) out += `- ${md(line)}\n`;
    out += `\nRobustness: ${md(robustnessText(claim))}.\n`;
    const cpus = cpusText(claim);
    if (cpus) out += `\nMachine size: ${md(cpus)}.\n`;
  });
  return out;
}

/** Plain ASCII, 72 columns. */
function renderEmail(report: ClaimsReport): string {
  const out: string[] = [
    "pkslab claims: LSFMM 2022 (LWN 894531) against the model",
    ...wrap(DISCLAIMER),
  ];
  for (const line of header(report)) out.push(...wrap(line, "  "));
  report.claims.forEach((claim, i) => {
    out.push("", `${i + 1}. ${claim.id}: ${claim.verdict.toUpperCase()}`);
    out.push(...wrap(`"${claim.quote}" (${claim.speaker})`, "   ", "   "));
    out.push(...wrap(`tested: ${claim.predicate}`, "   ", "   "));
    for (const line of claim.evidence) out.push(...wrap(line, "     ", "   - "));
    out.push(...wrap(`robustness: ${robustnessText(claim)}`, "   ", "   "));
    const cpus = cpusText(claim);
    if (cpus) out.push(...wrap(`machine size: ${cpus}`, "   ", "   "));
  });
  return `${out.map(ascii).join("\n")}\n`;
}

export function renderClaims(report: ClaimsReport, format: ClaimsFormat): string {
  switch (format) {
    case "table":
      return renderTable(report);
    case "markdown":
      return renderMarkdown(report);
    case "email":
      return renderEmail(report);
    case "json":
      return `${JSON.stringify({ disclaimer: DISCLAIMER, ...report }, null, 2)}\n`;
  }
}
