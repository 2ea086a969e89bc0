/**
 * The claims made at LSFMM 2022 (LWN 894531, ../shared/reference/lwn-lsfmm-2022-pks-api.txt)
 * as predicates over comparison results. Each claim names the quote it tests, the setup the
 * discussion assumed, the workloads and strategies it needs, and a `decide` function that
 * returns supported, refuted, tie or not decidable with the numbers that decided it.
 *
 * A predicate tests what the speaker said and nothing more. A comparison whose two sides are
 * equal is a `tie`, neither support nor refutation; two strategies whose cells are identical
 * in every metric issued the same primitives there (their mechanisms coincide on that
 * workload), so their equality is a tie by construction and counts as no evidence at all.
 */
import { COST_CATEGORIES, type CostCategory } from "../../../core/ledger.ts";
import { DEFAULT_WORKLOAD_NAMES } from "../../../workloads/registry.ts";

export type Verdict = "supported" | "refuted" | "tie" | "not decidable";

/** Every verdict, in report order. */
export const VERDICTS: readonly Verdict[] = ["supported", "refuted", "tie", "not decidable"];

/**
 * One (workload, strategy) cell as a claim sees it: its status and seed-mean metrics. The
 * status is a string (`ok`, and the non-ok values of the result contract: `partial`,
 * `unsupported`, `failed`, or the older `error`): a predicate that reads a metric of a cell
 * that is not `ok` must decide what that means (the built-in claims read only `ok` cells).
 */
export interface ClaimCell {
  readonly status: string;
  readonly reason?: string;
  readonly metrics: Readonly<Record<string, number>>;
}

/** What a claim's predicate can read. */
export interface ClaimResults {
  /** The workloads that were run, in order. */
  readonly workloads: readonly string[];
  cell(workload: string, strategy: string): ClaimCell | undefined;
  /** Shootdowns the strategy's one-off region setup issues on this workload (boot time). */
  setupShootdowns(workload: string, strategy: string): number;
}

export interface ClaimDecision {
  readonly verdict: Verdict;
  /** The numbers that decided it, one line each. */
  readonly evidence: readonly string[];
}

export interface Claim {
  readonly id: string;
  /** The sentence of the LWN report it tests. */
  readonly quote: string;
  readonly speaker: string;
  readonly source: string;
  /** The checkable predicate, in words. */
  readonly predicate: string;
  /** The setup the discussion assumed, and how the run meets it (printed with the verdict). */
  readonly setup?: string;
  /** Workloads it reads ("all" = every claims workload) and strategies it reads. */
  readonly workloads: readonly string[] | "all";
  readonly strategies: readonly string[];
  decide(results: ClaimResults): ClaimDecision;
}

/**
 * The workloads of the claims: the default comparison's built-ins (trace replays and the
 * experiment workloads are not part of the claims).
 */
export const CLAIM_WORKLOADS: readonly string[] = DEFAULT_WORKLOAD_NAMES;

/** The four candidate protected strategies discussed at LSFMM. */
export const PROTECTED_STRATEGIES = [
  "pks-kmap",
  "vmap-alias",
  "no-direct-map",
  "kmap-local-range",
] as const;

/** Compact number for evidence lines. */
export function num(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs >= 1e7 || abs < 0.01)) return value.toExponential(2);
  return value.toLocaleString("en-US", { maximumFractionDigits: abs >= 100 ? 0 : 2 });
}

/** The cell when it ran cleanly (`ok`, every map served), else undefined. */
export function okCell(
  results: ClaimResults,
  workload: string,
  strategy: string,
): ClaimCell | undefined {
  const cell = results.cell(workload, strategy);
  return cell && cell.status === "ok" && (cell.metrics["compat.unsupported_maps"] ?? 0) === 0
    ? cell
    : undefined;
}

/** Why a cell cannot be read: "did not run", or its status and reason. */
export function notOk(results: ClaimResults, workload: string, strategy: string): string {
  const cell = results.cell(workload, strategy);
  if (!cell) return `${strategy} did not run on ${workload}`;
  if (cell.status === "ok") return `${strategy} refused maps on ${workload}`;
  return `${strategy} on ${workload} is ${cell.status}${cell.reason ? ` (${cell.reason})` : ""}`;
}

/**
 * The ok cells of two strategies on one workload, in that order, or the claim's decision
 * when either is not ok: not decidable, naming the first of them that is not.
 */
export function okPair(
  results: ClaimResults,
  workload: string,
  first: string,
  second: string,
): readonly [ClaimCell, ClaimCell] | ClaimDecision {
  const a = okCell(results, workload, first);
  if (!a) return undecidable(notOk(results, workload, first));
  const b = okCell(results, workload, second);
  if (!b) return undecidable(notOk(results, workload, second));
  return [a, b];
}

/**
 * Whether two cells are identical in every metric of the shared catalog (costs, events,
 * coverage, exposure, compat, run; a strategy's own `strategy.*` diagnostics are named
 * differently by each strategy and not compared): the two strategies charged the same
 * primitives on that workload (their mechanisms coincide there), so any equality between
 * them holds by construction and is no evidence.
 */
export function identicalCells(a: ClaimCell, b: ClaimCell): boolean {
  const shared = (metrics: Readonly<Record<string, number>>) =>
    Object.keys(metrics).filter((key) => !key.startsWith("strategy."));
  const keys = new Set([...shared(a.metrics), ...shared(b.metrics)]);
  for (const key of keys) if (a.metrics[key] !== b.metrics[key]) return false;
  return keys.size > 0;
}

/** `a` below `b`: true, false, or "tie" when they are equal. */
export function below(a: number, b: number): boolean | "tie" {
  return a === b ? "tie" : a < b;
}

export const undecidable = (why: string): ClaimDecision => ({
  verdict: "not decidable",
  evidence: [why],
});

/**
 * Categories that any kernel path charges, protected or not: the access itself and its
 * TLB work, scheduling, locks, page allocation, kernel entry and user-space work.
 */
const UNPROTECTED_CATEGORIES: ReadonlySet<CostCategory> = new Set([
  "work",
  "access",
  "stlb_hit",
  "tlb_walk",
  "context_switch",
  "migration",
  "lock",
  "lock_spin",
  "page_alloc",
  "entry",
  "user",
  "tlb_broadcast",
] satisfies CostCategory[]);

/** Cost categories that only a protection scheme charges (a plain direct-map access charges none), in the ledger's order. */
export const PROTECTION_CATEGORIES: readonly CostCategory[] = COST_CATEGORIES.filter(
  (category) => !UNPROTECTED_CATEGORIES.has(category),
);
