/**
 * `pkslab claims`: the claims made at LSFMM 2022 as predicates over comparison results,
 * each printed as supported / refuted / not decidable with the numbers that decided it,
 * the quote it tests and whether the verdict survives the cost-parameter ranges.
 *
 *   pkslab claims [--format table|markdown|email|json] [--out <file>] [--claims <file>...]
 *                 [--no-builtin] [--no-robustness] [--profile <name|file>] [--cpus <n>]
 *                 [--seeds <n>]
 */
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { writeFileAtomic } from "../../core/atomic-write.ts";
import { UserInputError } from "../../core/errors.ts";
import { loadProfile } from "../../core/profile.ts";
import { checkOutPath } from "../validate/command.ts";
import { type Claim, LSFMM_CLAIMS } from "./claims.ts";
import { DEFAULT_CLAIMS_CPUS, evaluateClaims } from "./evaluate.ts";
import { checkClaimsFormat, renderClaims } from "./render.ts";
import { loadClaimsFile } from "./user.ts";

export { type Claim, type ClaimResults, LSFMM_CLAIMS, type Verdict } from "./claims.ts";
export { type ClaimsReport, evaluateClaims } from "./evaluate.ts";
export { CLAIMS_FORMATS, renderClaims } from "./render.ts";
export { renderSensitivity, type SensitivityReport, sensitivity } from "./sensitivity.ts";

interface ClaimsFlags {
  format: string;
  out?: string;
  claims?: string[];
  builtin: boolean;
  robustness: boolean;
  profile?: string;
  cpus: number;
  seeds: number;
}

const collect = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  value,
];

function parseSeeds(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > 30) {
    throw new InvalidArgumentError(`--seeds must be a whole number from 1 to 30, got "${value}".`);
  }
  return parsed;
}

function parseCpus(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 2 || parsed > 256) {
    throw new InvalidArgumentError(`--cpus must be a whole number from 2 to 256, got "${value}".`);
  }
  return parsed;
}

/** Adds the `claims` subcommand to the main program. */
export function registerClaimsCommand(program: Command): void {
  program
    .command("claims")
    .description(
      "Check the claims made at LSFMM 2022 (LWN 894531) against the model: supported / refuted / not decidable, with the deciding numbers, the quote, and whether the verdict survives every unverified or derived cost parameter across its range.",
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
    .option("--cpus <n>", "CPUs of the simulated machine", parseCpus, DEFAULT_CLAIMS_CPUS)
    .option("--seeds <n>", "seeds 1..n; predicates read seed means", parseSeeds, 1)
    .action(async (flags: ClaimsFlags) => {
      const format = checkClaimsFormat(flags.format);
      const out = checkOutPath(flags.out);
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
      const report = evaluateClaims({
        claims,
        config: {
          profile: loadProfile(flags.profile),
          cpus: flags.cpus,
          seeds: Array.from({ length: flags.seeds }, (_, i) => i + 1),
        },
        robustness: flags.robustness,
        onVariant: (done, total) => {
          if (process.stderr.isTTY) process.stderr.write(`\rclaims: robustness ${done}/${total}`);
        },
      });
      if (process.stderr.isTTY && flags.robustness) process.stderr.write("\n");
      const text = renderClaims(report, format);
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
