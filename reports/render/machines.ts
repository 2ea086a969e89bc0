/**
 * The cross-machine section: for each workload, the best x86-64 design, the best HIGHMEM
 * design and the capability design side by side (cost and coverage), and which workloads
 * change winner between the machines. Built from the report model of each document
 * (reports/render/model.ts), so rows, statuses and figures are the ones the comparison
 * reports print; only ok cells compete or are shown ("never show a number for work that was
 * not done").
 */
import type { ResultDocument } from "../results/results.ts";
import { PRIMARY_METRIC } from "../results/verdict.ts";
import { type Column, type Row, reportModel, type Section } from "./model.ts";

/** One design's entry in a workload line: absent when no ok cell qualifies. */
export interface MachineEntry {
  readonly strategy: string;
  /** cycles/op mean ± 95% CI, as the comparison prints it. */
  readonly cost: string;
  readonly cyclesPerOp: number;
  /** Change against that machine's baseline, as printed ("+12.3%"). */
  readonly change: string;
  /** Coverage columns of the report: strays blocked and caught, exposure. */
  readonly blocked: string;
  readonly caught: string;
  readonly exposed: string;
}

export interface MachinesLine {
  readonly workload: string;
  readonly x86?: MachineEntry;
  readonly highmem?: MachineEntry;
  readonly capability?: MachineEntry;
  /** The winner differs between the machines (both have one). */
  readonly changesWinner: boolean;
}

export interface MachinesModel {
  readonly header: readonly string[];
  readonly lines: readonly MachinesLine[];
  /** Per machine, strategy -> workloads it wins (lowest cycles/op among ok designs). */
  readonly wins: { readonly x86: Record<string, number>; readonly highmem: Record<string, number> };
  readonly notes: readonly string[];
}

function columnValue(columns: readonly Column[], row: Row, short: string): string {
  const index = columns.findIndex((column) => column.short === short);
  return index < 0 ? "-" : row.values[index];
}

/** The seed mean of cycles/op of a cell, from the document the row was built from. */
type CostOf = (strategy: string) => number;

function costLookup(doc: ResultDocument, workload: string): CostOf {
  return (strategy) => {
    const cell = doc.results.find((c) => c.workload === workload && c.strategy === strategy);
    return cell?.summary[PRIMARY_METRIC]?.mean ?? Number.NaN;
  };
}

function entryOf(columns: readonly Column[], row: Row, costOf: CostOf): MachineEntry {
  const cyclesPerOp = costOf(row.strategy);
  return {
    strategy: row.strategy,
    cost: row.primary,
    cyclesPerOp,
    change: row.change,
    blocked: columnValue(columns, row, "blocked"),
    caught: columnValue(columns, row, "caught"),
    exposed: columnValue(columns, row, "exposed"),
  };
}

/** The best ok design of a section (not the baseline, not `exclude`), lowest cycles/op first. */
function best(
  doc: ResultDocument,
  columns: readonly Column[],
  section: Section | undefined,
  exclude: readonly string[],
): MachineEntry | undefined {
  if (!section) return undefined;
  const costOf = costLookup(doc, section.workload);
  const candidates = section.rows
    .filter((row) => row.status === "ok" && !row.isBaseline && !exclude.includes(row.strategy))
    .map((row) => entryOf(columns, row, costOf))
    .filter((entry) => Number.isFinite(entry.cyclesPerOp));
  candidates.sort((a, b) => a.cyclesPerOp - b.cyclesPerOp || a.strategy.localeCompare(b.strategy));
  return candidates[0];
}

function archOf(doc: ResultDocument): string {
  const machine = doc.context.config.machine as unknown as Record<string, unknown>;
  return typeof machine.arch === "string" ? machine.arch : "x86-64";
}

/**
 * The cross-machine model of an x86-64 result and a HIGHMEM result. The capability design
 * (`capability`, a strategy name) is read from whichever document has an ok cell of it
 * (normally the x86-64 one, run with --plugin examples/capability.ts) and kept out of the
 * per-machine winners, which compare the kernel APIs.
 */
export function machinesModel(
  x86: ResultDocument,
  highmem: ResultDocument,
  capability = "capability",
): MachinesModel {
  const a = reportModel(x86);
  const b = reportModel(highmem);
  const sectionsB = new Map(b.sections.map((section) => [section.workload, section]));
  const lines: MachinesLine[] = [];
  const wins = { x86: {} as Record<string, number>, highmem: {} as Record<string, number> };
  const workloads = [
    ...a.sections.map((s) => s.workload),
    ...b.sections.map((s) => s.workload).filter((w) => !a.sections.some((s) => s.workload === w)),
  ];
  for (const workload of workloads) {
    const sa = a.sections.find((section) => section.workload === workload);
    const sb = sectionsB.get(workload);
    const bestA = best(x86, a.columns, sa, [capability]);
    const bestB = best(highmem, b.columns, sb, [capability]);
    const capRow =
      sa?.rows.find((row) => row.strategy === capability && row.status === "ok") ??
      sb?.rows.find((row) => row.strategy === capability && row.status === "ok");
    const capOnA = sa?.rows.some((row) => row === capRow) ?? false;
    const capColumns = capOnA ? a.columns : b.columns;
    const capCost = costLookup(capOnA ? x86 : highmem, workload);
    if (bestA) wins.x86[bestA.strategy] = (wins.x86[bestA.strategy] ?? 0) + 1;
    if (bestB) wins.highmem[bestB.strategy] = (wins.highmem[bestB.strategy] ?? 0) + 1;
    lines.push({
      workload,
      ...(bestA ? { x86: bestA } : {}),
      ...(bestB ? { highmem: bestB } : {}),
      ...(capRow ? { capability: entryOf(capColumns, capRow, capCost) } : {}),
      changesWinner:
        bestA !== undefined && bestB !== undefined && bestA.strategy !== bestB.strategy,
    });
  }
  return {
    header: [
      `x86-64: ${a.header[0]}  (${archOf(x86)})`,
      `HIGHMEM: ${b.header[0]}  (${archOf(highmem)})`,
      x86.context.disclaimer,
    ],
    lines,
    wins,
    notes: [
      "best = the lowest cycles/op among the machine's ok cells other than its baseline; partial, unsupported and failed cells never compete and are not shown.",
      "change = against that machine's own baseline (unprotected on each machine: on HIGHMEM it already pays kmap for high pages).",
      `the capability column is the ${capability} strategy's ok cell; it is not an x86 kernel API and is kept out of the winners.`,
      "coverage columns are the comparison's: strays blocked and caught (fractions of injected strays), exposure (page-time writable through the direct map or a stale TLB entry, which the model computes from page tables and PKS only: it does not see the capability check).",
    ],
  };
}

/** The cross-machine section as markdown (reads as plain text in a terminal too). */
export function renderMachines(model: MachinesModel): string {
  const cell = (entry: MachineEntry | undefined) =>
    entry ? `\`${entry.strategy}\` ${entry.cost} (${entry.change})` : "no ok design";
  const coverage = (entry: MachineEntry | undefined) =>
    entry ? `${entry.blocked} / ${entry.caught} / ${entry.exposed}` : "-";
  const out = [
    "# pkslab: x86-64 PKS designs, HIGHMEM designs and the capability design",
    "",
    ...model.header.map((line, i) => (i === model.header.length - 1 ? `> ${line}` : `${line}  `)),
    "",
    "| workload | best x86-64 design: cycles/op (vs base) | blocked / caught / exposed | best HIGHMEM design: cycles/op (vs base) | blocked / caught / exposed | capability: cycles/op (vs base) | blocked / caught / exposed | winner changes |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | :---: |",
  ];
  for (const line of model.lines) {
    out.push(
      `| ${line.workload} | ${cell(line.x86)} | ${coverage(line.x86)} | ${cell(line.highmem)} | ${coverage(line.highmem)} | ${cell(line.capability)} | ${coverage(line.capability)} | ${line.changesWinner ? "yes" : ""} |`,
    );
  }
  const winsText = (wins: Record<string, number>) =>
    Object.entries(wins)
      .sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]))
      .map(([name, count]) => `${name} ${count}`)
      .join(", ") || "none";
  const changed = model.lines.filter((line) => line.changesWinner);
  out.push(
    "",
    `Cheapest API, workloads won: x86-64: ${winsText(model.wins.x86)}; HIGHMEM: ${winsText(model.wins.highmem)}.`,
    "",
    changed.length > 0
      ? `Workloads whose winner changes between the machines: ${changed.map((line) => `${line.workload} (${line.x86?.strategy} -> ${line.highmem?.strategy})`).join(", ")}.`
      : "No workload changes winner between the machines.",
    "",
    ...model.notes.map((note) => `- ${note}`),
  );
  return `${out.join("\n")}\n`;
}
