/** What a validation case is: a published result, the model quantity compared with it, and the tolerance with its reason. */
import type { CostProfile } from "../../../core/profile.ts";

/** A published result, as cost-references.md gives it. */
export interface PublishedResult {
  /** Row of cost-references.md (E1, P19, ...). */
  readonly reference: string;
  readonly value: number;
  readonly unit: string;
  readonly conditions: string;
  readonly citation: string;
}

export interface ValidationCase {
  readonly id: string;
  readonly title: string;
  readonly published: PublishedResult;
  /** Built-in cost profile the case runs on. */
  readonly profile: string;
  /** The pkslab configuration that reproduces the experiment's shape. */
  readonly configuration: string;
  /** The model quantity compared with the published value. */
  readonly metric: string;
  /** Relative tolerance: passes when |model / published − 1| ≤ tolerance. */
  readonly tolerance: number;
  readonly toleranceWhy: string;
  /**
   * The earlier case(s) whose numbers this case reuses (its published value is computed
   * from theirs, or its model quantity is theirs), and how: such a case is a repeat, not an
   * extra independent pass (each published quantity counts once).
   */
  readonly reuses?: { readonly cases: readonly string[]; readonly what: string };
  /**
   * Cases that share a model run (a baseline both divide by) name one group: the runner
   * hands a group to one thread as one task, so each shared run is computed once however
   * many threads there are. A case without it shares no run (test/validate checks both).
   */
  readonly runGroup?: string;
  /** Runs the model and returns the quantity in the published unit. */
  measure(profile: CostProfile): number;
  /**
   * Set when the case mostly checks the model's inputs (unverified placeholders) rather
   * than predicting: the reason. Its role is then "input check" (unless fitted).
   */
  readonly inputCheck?: string;
  /**
   * Set when the model is known to miss this result and why: the case is reported as
   * failed, but it does not make `pkslab validate` exit 1 (nothing was re-fitted to it).
   */
  readonly knownMiss?: string;
}

// ---------------------------------------------------------------------------------------
// XPFO kernel build (E1–E4).

/**
 * Kernel work per user-page lifetime in the xpfo-churn stream (the baseline's system time
 * per page, the ratio's denominator). The published pair fixes the shape of the eager
 * ratio, r(N) − 1 = (a + c·(N − 1)) / K: the 4-core and 96-core points give a/K = 0.84 and
 * c/K = 0.26. The fixed part a is the model's own per-page flush cost (ipi_send_base_cycles,
 * fitted to P19, plus INVLPG, PTE writes and the wait for the acknowledgement), so the pair
 * determines K together with the per-target cost c. Both were fitted together
 * (reports/analyses/validate/fit.ts); K is recorded here, the per-target cost in the profile.
 */
