/**
 * What every section of the benchmark suite shares: the command-line flags, the rows it
 * prints (and writes as JSON), the targets with their goals, and the timing and heap
 * measurements of this process.
 */
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Bench } from "tinybench";
import { loadProfile } from "../core/profile.ts";

setFlagsFromString("--expose-gc");
/** A full collection (the suite exposes V8's gc to itself). */
export const gc = runInNewContext("gc") as () => void;

/** The repository root: child processes run there. */
export const ROOT = fileURLToPath(new URL("..", import.meta.url));
const argv = process.argv.slice(2);
/** The value after `name` on the command line, if given. */
export const flag = (name: string) => {
  const at = argv.indexOf(name);
  return at >= 0 ? argv[at + 1] : undefined;
};
const only = flag("--only")?.split(",");
/** Repetitions of the process-level measurements (`--reps`, medians reported). */
export const reps = Number(flag("--reps") ?? 3);
/** Whether `--only` (if given) names this section. */
export const wanted = (section: string) => !only || only.includes(section);
/** Wall-clock limit of one long child process (compare --sensitivity, the 4M-event replay). */
export const LIMIT_S = Number(flag("--limit") ?? 900);

/** One figure of the suite. */
export interface Row {
  readonly section: string;
  readonly task: string;
  readonly value: number;
  readonly unit: string;
  readonly note?: string;
  /** For the targets of issue 19: the goal as text, and whether the figure meets it. */
  readonly goal?: string;
  readonly met?: boolean;
}
/** Every figure of this run, in the order measured. */
export const rows: Row[] = [];
/** Records a figure (and shows it on stderr as it comes). */
export const add = (section: string, task: string, value: number, unit: string, note?: string) => {
  rows.push({ section, task, value, unit, ...(note ? { note } : {}) });
  process.stderr.write(
    `  ${section}: ${task} = ${format(value)} ${unit}${note ? ` (${note})` : ""}\n`,
  );
};
/** A figure as printed: four significant digits, exponent past 1e5. */
export function format(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 1e5) return value.toExponential(3);
  return Number(value.toPrecision(4)).toString();
}

/** The default cost profile. */
export const profile = loadProfile();
/** Accesses per timed loop of the access-path figures. */
export const ACCESSES = 100_000;
/** Pages of the live mapping the access mix goes through. */
export const MAPPED = 8;

/** Mean ms per call of a tinybench task. */
export async function timeIt(name: string, fn: () => void, time = 400): Promise<number> {
  const bench = new Bench({ time, warmupTime: 100 });
  bench.add(name, fn);
  await bench.run();
  const result = bench.tasks[0].result as { latency?: { mean: number } } | undefined;
  return result?.latency?.mean ?? Number.NaN;
}

/** Bytes of JS heap plus array buffers now, after a full collection. */
export function heapBytes(): number {
  gc();
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/** The targets of issue 19, each with its goal and whether it is met (never asserted). */
export const targets: Row[] = [];
/** A figure with a goal: `atMost` or `atLeast` (in `unit`). */
export function target(
  task: string,
  value: number,
  unit: string,
  goal: { readonly atMost?: number; readonly atLeast?: number },
  note?: string,
): void {
  const met =
    Number.isFinite(value) &&
    (goal.atMost === undefined || value <= goal.atMost) &&
    (goal.atLeast === undefined || value >= goal.atLeast);
  const text =
    goal.atMost !== undefined ? `<= ${goal.atMost} ${unit}` : `>= ${goal.atLeast} ${unit}`;
  const row: Row = {
    section: "targets",
    task,
    value,
    unit,
    goal: text,
    met,
    ...(note ? { note } : {}),
  };
  rows.push(row);
  targets.push(row);
  process.stderr.write(
    `  targets: ${task} = ${format(value)} ${unit} (goal ${text}: ${met ? "MET" : "NOT MET"})${note ? ` (${note})` : ""}\n`,
  );
}
