/**
 * `pkslab claims`: the claims made at LSFMM 2022 as predicates over comparison results,
 * each printed as supported / refuted / tie / not decidable with the numbers that decided it,
 * the quote it tests and whether the verdict survives the cost-parameter ranges.
 *
 *   pkslab claims [--format table|markdown|email|json] [--out <file>] [--claims <file>...]
 *                 [--no-builtin] [--no-robustness] [--profile <name|file>] [--cpus <n>]
 *                 [--seeds <n>] [--jobs <n>]
 */
import { type Command, Option } from "commander";
import { z } from "zod";
import { writeFileAtomic } from "../../../core/atomic-write.ts";
import { UserInputError } from "../../../core/errors.ts";
import { loadProfile } from "../../../core/profile.ts";
import {
  choice,
  collect,
  flag,
  outPath,
  parseFlags,
  text,
  texts,
  wholeNumber,
} from "../../run/flag-schema.ts";
import { AUTO_PARALLEL_SEED_RUNS } from "../../run/pool.ts";
import { startProgress } from "../../run/progress.ts";
import type { Claim } from "./claims.ts";
import { type ClaimsReport, DEFAULT_CLAIMS_CPUS, evaluateClaims } from "./evaluate.ts";
import { LSFMM_CLAIMS } from "./lsfmm.ts";
import { CLAIMS_FORMATS, claimsProvenance, renderClaims } from "./render.ts";
import { type CacheCounts, cacheLine } from "./run-cache.ts";
import { loadClaimsFile } from "./user.ts";

export type { Claim, ClaimResults, Verdict } from "./claims.ts";
export { type ClaimsReport, evaluateClaims } from "./evaluate.ts";
export { LSFMM_CLAIMS } from "./lsfmm.ts";
export { CLAIMS_FORMATS, renderClaims } from "./render.ts";
export { renderSensitivity, type SensitivityReport, sensitivity } from "./sensitivity.ts";

/** The flags of `pkslab claims`. */
export const claimsFlagsSchema = z.object({
  format: choice("format", CLAIMS_FORMATS),
  out: outPath().optional(),
  claims: texts().optional(),
  builtin: flag(),
  robustness: flag(),
  profile: text().optional(),
  cpus: wholeNumber(2, 256),
  seeds: wholeNumber(1, 30),
  jobs: wholeNumber(1).optional(),
});

/** Adds the `claims` subcommand to the main program. */
export function registerClaimsCommand(program: Command): void {
  program
    .command("claims")
    .description(
      "Check the claims made at LSFMM 2022 (LWN 894531) against the model: supported / refuted / tie / not decidable, with the deciding numbers, the quote, and whether the verdict survives every unverified or derived cost parameter across its range.",
    )
    .option("--format <format>", "output format: table, markdown, email, json", "table")
    .option("--out <file>", "write the report to this file (atomically) instead of stdout")
    .option(
      "--claims <file>",
      "also check the claims in this file (JSON or TypeScript; docs/claims.md) (repeatable)",
      collect,
    )
    .option("--no-builtin", "check only the claims given with --claims")
    .option("--no-robustness", "skip the cost-parameter sweep (faster; verdicts only)")
    .option("--profile <name|file>", "cost profile (built-in name or JSON file)")
    .addOption(
      new Option("--cpus <n>", "CPUs of the simulated machine (2 to 256)").default(
        DEFAULT_CLAIMS_CPUS,
      ),
    )
    .addOption(
      new Option("--seeds <n>", "seeds 1..n (n from 1 to 30); predicates read seed means").default(
        1,
      ),
    )
    .option(
      "--jobs <n>",
      `threads that run the cells: this one and n - 1 workers (default: every core for ${AUTO_PARALLEL_SEED_RUNS} or more seed runs, which the robustness sweep has; else 1); results do not depend on it`,
    )
    .action(async (raw: unknown) => {
      const flags = parseFlags(claimsFlagsSchema, raw);
      const { format, out } = flags;
      const claims: Claim[] = flags.builtin ? [...LSFMM_CLAIMS] : [];
      for (const file of flags.claims ?? []) claims.push(...(await loadClaimsFile(file)));
      if (claims.length === 0) {
        throw new UserInputError(
          "no claims to check: --no-builtin needs at least one --claims <file>.",
        );
      }
      const ids = new Set<string>();
      for (const claim of claims) {
        if (ids.has(claim.id)) throw new UserInputError(`two claims have the id "${claim.id}".`);
        ids.add(claim.id);
      }
      const started = Date.now();
      const bar = await startProgress("claims", "runs");
      let report: ClaimsReport;
      let cacheCounts: CacheCounts | undefined;
      try {
        report = await evaluateClaims({
          claims,
          config: {
            profile: loadProfile(flags.profile),
            cpus: flags.cpus,
            seeds: Array.from({ length: flags.seeds }, (_, i) => i + 1),
          },
          robustness: flags.robustness,
          ...(flags.jobs !== undefined ? { jobs: flags.jobs } : {}),
          onProgress: (done, total) => bar.update(done, total),
          onCounts: (counts) => {
            cacheCounts = counts;
          },
        });
      } finally {
        bar.stop();
      }
      if (cacheCounts) process.stderr.write(cacheLine("claims", cacheCounts));
      const text = renderClaims(
        report,
        format,
        claimsProvenance(report, format, {
          ...(flags.profile !== undefined ? { profile: flags.profile } : {}),
          claimsFiles: flags.claims ?? [],
          builtin: flags.builtin,
        }),
      );
      if (out) {
        writeFileAtomic(out, text);
        process.stderr.write(
          `claims: ${report.claims.length} claims in ${((Date.now() - started) / 1000).toFixed(1)} s; wrote ${out}\n`,
        );
      } else {
        process.stdout.write(text);
      }
    });
}
