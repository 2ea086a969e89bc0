/**
 * The size of a run, before it runs: seed runs (cells x seeds), the memory their results
 * take and, for long runs, the time. A run whose results cannot fit in this process's heap
 * is refused up front (building a billion-seed list alone takes 8 GB and crashes Node);
 * a long one that fits gets an estimate on stderr.
 */
import { totalmem } from "node:os";
import { getHeapStatistics } from "node:v8";
import { UserInputError } from "../../core/errors.ts";

/**
 * Memory one seed run's results take until the report is written: its 82 metrics in the
 * cell, the copy in the result document and its JSON text (about 3 KB). Measured: a
 * 4,000-seed cell peaked 137 MB above a 200-seed one (36 KB a run, collector slack included).
 */
export const BYTES_PER_SEED_RUN = 36 * 1024;

/** Seed runs from which a run is long enough to get an estimate on stderr. */
export const LONG_RUN_SEED_RUNS = 10_000;

/** The memory a run's results may take: 80% of this process's heap limit (and of the RAM). */
export function resultMemoryBudget(): number {
  return 0.8 * Math.min(getHeapStatistics().heap_size_limit, totalmem());
}

const count = (n: number) => Math.round(n).toLocaleString("en-US");

/** "3.2 GB", "640 MB", "12 KB". */
export function formatBytes(bytes: number): string {
  const units = ["bytes", "KB", "MB", "GB", "TB", "PB", "EB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

/** "45 s", "12 min", "3.5 h", "4.2 days". */
export function formatDuration(ms: number): string {
  const s = ms / 1000;
  if (s < 90) return `${Math.max(1, Math.round(s))} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86_400).toFixed(1)} days`;
}

/** What a run holds: how many cells (per point, and points), and seeds per cell. */
export interface RunSize {
  readonly cells: number;
  readonly seeds: number;
  /** How the size was asked for, for the message (e.g. "--seeds 1e9"). */
  readonly what: string;
}

/**
 * Refuses (exit 2) a run whose results cannot fit in memory, with the estimate and the
 * largest run that fits. Called before the seed list is built.
 */
export function checkRunFits(size: RunSize, budget = resultMemoryBudget()): void {
  const seedRuns = size.cells * size.seeds;
  const bytes = seedRuns * BYTES_PER_SEED_RUN;
  if (bytes <= budget) return;
  const most = Math.floor(budget / BYTES_PER_SEED_RUN);
  throw new UserInputError(
    `${size.what}: ${count(size.cells)} cell${size.cells === 1 ? "" : "s"} x ${count(size.seeds)} seeds = ${count(seedRuns)} seed runs, whose results need about ${formatBytes(bytes)} (${formatBytes(BYTES_PER_SEED_RUN)} each), more than the ${formatBytes(budget)} this process can hold; at most about ${count(most)} seed runs fit (at most ${count(Math.max(1, Math.floor(most / size.cells)))} seeds for these cells); run fewer seeds or cells, or split a sweep with --shard.`,
  );
}

/** The stderr line of a long run: its size, memory and estimated time. */
export function estimateLine(
  size: { cells: number; seedRuns: number },
  msPerSeedRun: number | undefined,
  jobs: number,
): string {
  const time =
    msPerSeedRun === undefined
      ? ""
      : `, estimated ${formatDuration((msPerSeedRun * size.seedRuns) / Math.max(1, jobs))} on ${jobs} thread${jobs === 1 ? "" : "s"}`;
  return `pkslab: ${count(size.seedRuns)} seed runs in ${count(size.cells)} cell${size.cells === 1 ? "" : "s"}: about ${formatBytes(size.seedRuns * BYTES_PER_SEED_RUN)} of results${time}\n`;
}
