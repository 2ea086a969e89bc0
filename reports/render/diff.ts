/**
 * `pkslab diff a.json b.json`: two saved result documents side by side, never re-running.
 * Cells match on (workload, strategy); each shown metric gets A's mean, B's mean, the change
 * and a `*` when the seeds' 95% CIs do not overlap. Differences in the configurations that
 * produced them are listed first, since they explain most changes.
 */
import { getBorderCharacters, table } from "table";
import { UserInputError } from "../../core/errors.ts";
import { canonicalJson, type ResultDocument, seedLabel } from "../results/results.ts";
import { delta, formatNumber, SHOWN_METRICS, type ShownMetric, unitOf } from "./common.ts";

function describe(label: string, doc: ResultDocument): string {
  const { context } = doc;
  return `${label}: ${context.tool.name} ${context.tool.version}  config ${context.configHash}  profile ${context.costProfile.name}  seeds ${seedLabel(context.config.seeds)}`;
}

/** Human-readable differences between the two configurations (empty when they agree). */
export function configDifferences(a: ResultDocument, b: ResultDocument): string[] {
  const out: string[] = [];
  const ca = a.context.config;
  const cb = b.context.config;
  for (const kind of ["strategies", "workloads"] as const) {
    const namesA = ca[kind].map((e) => e.name);
    const namesB = cb[kind].map((e) => e.name);
    const onlyA = namesA.filter((n) => !namesB.includes(n));
    const onlyB = namesB.filter((n) => !namesA.includes(n));
    if (onlyA.length > 0) out.push(`${kind} only in A: ${onlyA.join(", ")}`);
    if (onlyB.length > 0) out.push(`${kind} only in B: ${onlyB.join(", ")}`);
  }
  if (a.context.tool.version !== b.context.tool.version)
    out.push(`pkslab version: ${a.context.tool.version} -> ${b.context.tool.version}`);
  if (canonicalJson(ca.machine) !== canonicalJson(cb.machine))
    out.push(`machine: ${canonicalJson(ca.machine)} -> ${canonicalJson(cb.machine)}`);
  if (canonicalJson(ca.seeds) !== canonicalJson(cb.seeds))
    out.push(`seeds: ${seedLabel(ca.seeds)} -> ${seedLabel(cb.seeds)}`);
  if (ca.strayEvery !== cb.strayEvery) out.push(`strayEvery: ${ca.strayEvery} -> ${cb.strayEvery}`);
  if (ca.baseline !== cb.baseline) out.push(`baseline: ${ca.baseline} -> ${cb.baseline}`);
  const pa = a.context.costProfile;
  const pb = b.context.costProfile;
  if (pa.name !== pb.name) out.push(`cost profile: ${pa.name} -> ${pb.name}`);
  for (const name of new Set([...Object.keys(pa.parameters), ...Object.keys(pb.parameters)])) {
    const va = pa.parameters[name]?.value;
    const vb = pb.parameters[name]?.value;
    if (va !== vb) out.push(`profile.${name}: ${va ?? "absent"} -> ${vb ?? "absent"}`);
  }
  for (const [kind, la, lb] of [
    ["strategy", ca.strategies, cb.strategies],
    ["workload", ca.workloads, cb.workloads],
  ] as const) {
    for (const entry of la) {
      const other = (lb as readonly (typeof entry)[]).find((e) => e.name === entry.name);
      if (!other) continue;
      if (entry.version !== other.version)
        out.push(`${kind} ${entry.name} version: ${entry.version} -> ${other.version}`);
      const va = canonicalJson("options" in entry ? entry.options : entry.params);
      const vb = canonicalJson("options" in other ? other.options : other.params);
      if (va !== vb) out.push(`${kind} ${entry.name} settings: ${va} -> ${vb}`);
    }
  }
  return out;
}

/** The diff report of two documents. */
export function renderDiff(
  a: ResultDocument,
  b: ResultDocument,
  metrics: readonly ShownMetric[] = SHOWN_METRICS,
): string {
  if (a.schemaVersion !== b.schemaVersion) {
    throw new UserInputError(
      `the two files have different schema versions (${a.schemaVersion} and ${b.schemaVersion}).`,
    );
  }
  const lines = [describe("A", a), describe("B", b), a.context.disclaimer];
  const differences = configDifferences(a, b);
  lines.push(differences.length === 0 ? "configurations: identical" : "configurations differ:");
  for (const line of differences) lines.push(`  ${line}`);
  const rows: string[][] = [["workload", "strategy", "metric", "A", "B", "change"]];
  const unmatched: string[] = [];
  for (const cellA of a.results) {
    const cellB = b.results.find(
      (c) => c.workload === cellA.workload && c.strategy === cellA.strategy,
    );
    if (!cellB) {
      unmatched.push(`${cellA.workload}/${cellA.strategy}: only in A`);
      continue;
    }
    metrics.forEach((shown, index) => {
      const sa = cellA.summary[shown.metric];
      const sb = cellB.summary[shown.metric];
      if (!sa && !sb) return;
      const d = delta(sa, sb, unitOf(b, shown.metric) || unitOf(a, shown.metric));
      rows.push([
        index === 0 ? cellA.workload : "",
        index === 0 ? cellA.strategy : "",
        shown.short,
        formatNumber(sa?.mean),
        formatNumber(sb?.mean),
        `${d.text}${d.significant ? "*" : ""}`,
      ]);
    });
  }
  for (const cellB of b.results) {
    if (!a.results.some((c) => c.workload === cellB.workload && c.strategy === cellB.strategy))
      unmatched.push(`${cellB.workload}/${cellB.strategy}: only in B`);
  }
  let out = `${lines.join("\n")}\n`;
  if (rows.length > 1) {
    out += table(rows, {
      border: getBorderCharacters("norc"),
      columns: { 3: { alignment: "right" }, 4: { alignment: "right" }, 5: { alignment: "right" } },
      drawHorizontalLine: (index, size) => index <= 1 || index === size,
    });
  } else out += "no (workload, strategy) cells in common\n";
  for (const line of unmatched) out += `${line}\n`;
  out += "change = (B - A) / A; pt = change in points; * = the 95% CIs over seeds do not overlap\n";
  return out;
}
