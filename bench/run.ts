/**
 * Benchmarks of the simulator itself (host wall-clock and memory, noisy; never mixed with
 * model metrics, never asserted in tests). `npm run bench` prints one table; `npm run bench
 * -- --json <file>` also writes the same rows as JSON. `--only a,b` runs some sections
 * (targets, access, mapping, compare, startup, sweep, scale, census); `--reps <n>` sets the repetitions of the
 * process-level measurements (default 3, medians reported).
 *
 * - access: simulated accesses per second through Machine.access (TLB lookup, walk on
 *   miss, permission and PKS checks, ledger) on a machine set up by each strategy, with a
 *   fixed mix (half through a live mapping, 30% writes; half unprotected direct-map pages);
 *   and a raw reference loop doing the same per-access work on plain typed arrays (hashed
 *   TLB probe, PTE read, PKRS bit test), the practical limit of this machine. The access
 *   path is reported as a ratio of it.
 * - mapping: map/unmap pairs per second for each strategy (one page, its most local scope).
 * - compare: wall time and peak RSS of the default `pkslab compare` (child processes), with
 *   one worker and with the default number, the speed-up, and whether the outputs match.
 * - scale: time and memory as CPUs go 16 -> 1024, simulated memory 4 -> 64 GiB, and the
 *   workload's operations double.
 * - census: the full Debian 6.1 tree (PKSLAB_KERNEL_SRC or ~/.cache/pkslab/linux-source-6.1).
 * - targets: every target of issue 19 with its goal and MET / NOT MET, beside a raw
 *   typed-array loop run in this process: end-to-end simulated accesses per second of the
 *   default comparison (also per workload) as a share of the raw loop; the default compare's
 *   wall time with start-up (start-up apart); compare --sensitivity on the default matrix;
 *   claims; validate; the speed-up of --jobs on validate and claims (outputs compared);
 *   replay of the excerpt repeated to 400,000 and 4,000,000 lines (a
 *   synthetic trace; peak RSS of both); the speed-up of 2 threads on a 200-cell sweep with
 *   identical outputs; machine state per simulated page. `--limit <s>` stops a long child
 *   (default 900 s; a stopped one is NOT MET). Printed as a table of its own; the JSON rows
 *   carry `goal` and `met`.
 *
 * One module per section (access.ts, mapping.ts, compare.ts, startup.ts, sweep.ts,
 * scale.ts, targets.ts, census.ts), over what they share (common.ts: flags, rows, targets,
 * timing) and the harness (harness.ts: a strategy on its own machine, child processes).
 */
import { writeFileSync } from "node:fs";
import { availableParallelism, cpus as hostCpus, loadavg, totalmem } from "node:os";
import { accessSection, accessSink } from "./access.ts";
import { censusSection, censusSink } from "./census.ts";
import { flag, format, rows, targets, wanted } from "./common.ts";
import { compareSection } from "./compare.ts";
import { mappingSection } from "./mapping.ts";
import { scaleSection, scaleSink } from "./scale.ts";
import { startupSection } from "./startup.ts";
import { sweepSection } from "./sweep.ts";
import { targetsSection } from "./targets.ts";

if (wanted("targets")) await targetsSection();
if (wanted("access")) await accessSection();
if (wanted("mapping")) await mappingSection();
if (wanted("scale")) await scaleSection();
if (wanted("census")) await censusSection();
if (wanted("startup")) startupSection();
if (wanted("compare")) compareSection();
if (wanted("sweep")) sweepSection();

console.table(
  rows.map((row) => ({
    section: row.section,
    task: row.task,
    value: format(row.value),
    unit: row.unit,
    note: row.note ?? "",
  })),
);
if (targets.length > 0) {
  console.log("\nTargets of issue 19 (goal, and whether this run meets it):");
  console.table(
    targets.map((row) => ({
      task: row.task,
      value: format(row.value),
      unit: row.unit,
      goal: row.goal ?? "",
      met: row.met === undefined ? "" : row.met ? "MET" : "NOT MET",
      note: row.note ?? "",
    })),
  );
}
const host = {
  cpu: hostCpus()[0]?.model ?? "unknown",
  cores: availableParallelism(),
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  loadAverage: loadavg().map((v) => Number(v.toFixed(2))),
  node: process.version,
  date: new Date().toISOString(),
};
console.log(
  `host: ${host.cpu}, ${host.cores} cores, ${host.memoryGiB} GiB, load ${host.loadAverage.join(" ")}, node ${host.node}`,
);
const sink = accessSink() + scaleSink() + censusSink();
const jsonFile = flag("--json");
if (jsonFile) {
  writeFileSync(jsonFile, `${JSON.stringify({ host, rows, sink: sink !== 0 }, null, 2)}\n`);
}
