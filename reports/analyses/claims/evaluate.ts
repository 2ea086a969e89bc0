import { createHash } from "node:crypto";
import { canonicalJson } from "../../results/provenance.ts";
import type { Claim, ClaimDecision, Verdict } from "./claims.ts";
import { LSFMM_CLAIMS } from "./lsfmm.ts";
import {
  CLAIM_WORKLOAD_PARAMS,
  type ClaimsConfig,
  claimNeeds,
  claimsPlan,
  defaultClaimsConfig,
  type ProfileVariant,
} from "./plan.ts";

export {
  applyVariant,
  CLAIM_STRATEGIES,
  CLAIM_WORKLOAD_PARAMS,
  type ClaimsConfig,
  claimCells,
  claimNeeds,
  claimsPlan,
  DEFAULT_CLAIMS_CPUS,
  defaultClaimsConfig,
  type ProfileVariant,
  withStrategyCosts,
} from "./plan.ts";

import { bisection, decideJobs, type Flip, thresholds } from "./decide.ts";
import { type CacheCounts, RunCache } from "./run-cache.ts";
import { sweepVariants, sweptParameters, sweptStrategyCosts } from "./variants.ts";

/** A claim as tested (what it says, as the claim states it) and its verdict with the evidence. */
export interface ClaimOutcome
  extends Pick<Claim, "id" | "quote" | "speaker" | "source" | "predicate" | "setup">,
    ClaimDecision {
  /** Present when the robustness sweep ran. */
  readonly robustness?: {
    readonly robust: boolean;
    readonly variants: number;
    /** Variants under which the verdict differs, with the verdict there. */
    readonly flips: readonly Flip[];
  };
  /** The verdict on other machine sizes (same profile), when the robustness sweep ran. */
  readonly atCpus?: readonly { cpus: number; verdict: Verdict; evidence: readonly string[] }[];
}

export interface ClaimsReport {
  readonly profile: string;
  /** sha256 (12 hex digits) of the cost profile's parameters as run. */
  readonly profileHash: string;
  readonly cpus: number;
  readonly seeds: readonly number[];
  readonly workloadParams: Readonly<Record<string, Record<string, unknown>>>;
  readonly sweptParameters: readonly string[];
  readonly claims: readonly ClaimOutcome[];
}

export interface EvaluateOptions {
  readonly claims?: readonly Claim[];
  readonly config?: ClaimsConfig;
  /** Run the robustness sweep (default true). */
  readonly robustness?: boolean;
  /** Hears the runs of the claims' cells complete (every configuration and variant). */
  readonly onProgress?: (done: number, total: number) => void;
  /** Other machine sizes to decide the claims on, with the robustness sweep (default [16]). */
  readonly alsoCpus?: readonly number[];
  /**
   * Threads that run the cells (`--jobs`); chosen from the number of seed runs as compare
   * chooses it when absent (reports/run/pool.ts autoJobs). The report does not depend on it.
   */
  readonly jobs?: number;
  /** Hears how many cells were asked for, run, and shared from a base cell (run-cache.ts). */
  readonly onCounts?: (counts: CacheCounts) => void;
}

/** The CPU counts the claims are also decided on (the default comparison runs 16 CPUs). */
export const DEFAULT_ALSO_CPUS: readonly number[] = [16];

/** Runs the claims' shared comparison, decides each claim and (by default) its robustness. */
export async function evaluateClaims(options: EvaluateOptions = {}): Promise<ClaimsReport> {
  const claims = options.claims ?? LSFMM_CLAIMS;
  const config = options.config ?? defaultClaimsConfig();
  // The machine size is not a cost parameter: verdicts at other CPU counts are reported
  // beside the robustness result, not folded into it.
  const otherCpus =
    options.robustness === false
      ? []
      : (options.alsoCpus ?? DEFAULT_ALSO_CPUS).filter((n) => n !== config.cpus);
  const modules = claimsPlan(claims, config).strategies.map((s) => s.module);
  const swept =
    options.robustness === false
      ? []
      : [...sweptParameters(config.profile), ...sweptStrategyCosts(modules)];
  const variants = options.robustness === false ? [] : sweepVariants(config.profile, modules);
  // One cache for every decision below: each distinct cell runs once. The base cells run
  // traced (this thread), so that a variant moving only parameters a cell never used
  // shares that cell instead of running it (run-cache.ts, trace.ts).
  const cache = new RunCache();
  const [base] = await decideJobs([{ claims, cpus: config.cpus }], config, options.jobs, cache, {
    trace: variants.length > 0,
  });
  // The other machine sizes and every variant: one batch of cells.
  const decided = [
    base,
    ...(await decideJobs(
      [
        ...otherCpus.map((cpus) => ({ claims, cpus })),
        ...variants.map((variant) => ({ claims, cpus: config.cpus, variant })),
      ],
      config,
      options.jobs,
      cache,
      options.onProgress ? { onProgress: options.onProgress } : {},
    )),
  ];
  const atCpus = otherCpus.map((cpus, index) => ({ cpus, decisions: decided[1 + index] }));
  const flipped: { claim: number; variant: ProfileVariant; decision: ClaimDecision }[] = [];
  variants.forEach((variant, index) => {
    decided[1 + otherCpus.length + index].forEach((decision, i) => {
      if (decision.verdict !== base[i].verdict) flipped.push({ claim: i, variant, decision });
    });
  });
  const found = await thresholds(
    flipped.map((f) => bisection(claims[f.claim], config, f.variant, base[f.claim].verdict)),
    config,
    options.jobs,
    cache,
  );
  options.onCounts?.(cache.counts);
  const flips: Flip[][] = claims.map(() => []);
  flipped.forEach((f, index) => {
    flips[f.claim].push({
      label: f.variant.label,
      verdict: f.decision.verdict,
      evidence: f.decision.evidence,
      ...found[index],
    });
  });
  return {
    profile: config.profile.name,
    profileHash: createHash("sha256")
      .update(canonicalJson(config.profile.parameters))
      .digest("hex")
      .slice(0, 12),
    cpus: config.cpus,
    seeds: config.seeds,
    workloadParams: Object.fromEntries(
      claimNeeds(claims).workloads.map((w) => [w, CLAIM_WORKLOAD_PARAMS[w] ?? {}]),
    ),
    sweptParameters: swept,
    claims: claims.map((claim, i) => ({
      id: claim.id,
      quote: claim.quote,
      speaker: claim.speaker,
      source: claim.source,
      predicate: claim.predicate,
      ...(claim.setup !== undefined ? { setup: claim.setup } : {}),
      verdict: base[i].verdict,
      evidence: base[i].evidence,
      ...(options.robustness === false
        ? {}
        : {
            robustness: {
              robust: flips[i].length === 0,
              variants: variants.length,
              flips: flips[i],
            },
            atCpus: atCpus.map(({ cpus, decisions }) => ({
              cpus,
              verdict: decisions[i].verdict,
              evidence: decisions[i].evidence,
            })),
          }),
    })),
  };
}
