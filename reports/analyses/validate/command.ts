/**
 * `pkslab validate`: runs every validation case (published result vs the model in the
 * experiment's shape) and prints model vs published, the ratio, pass/fail and whether the
 * case was used for fitting. Exit code 1 when a case fails.
 *
 *   pkslab validate [--format table|markdown|email|csv|json] [--out <file>] [--case <id>...]
 *                   [--profile-file <name>=<path>] [--jobs <n>]
 */
import type { Command } from "commander";
import { z } from "zod";
import { writeFileAtomic } from "../../../core/atomic-write.ts";
import { BUILTIN_PROFILES, loadProfile } from "../../../core/profile.ts";
import {
  choice,
  collect,
  flag,
  outPath,
  parseFlags,
  reject,
  wholeNumber,
} from "../../run/flag-schema.ts";
import { VALIDATION_CASES } from "./cases.ts";
import { fitOpteron, fitServer } from "./fit.ts";
import { renderValidation, VALIDATE_FORMATS } from "./render.ts";
import { runValidation } from "./validate.ts";

export type { ValidationCase } from "./case.ts";
export { VALIDATION_CASES } from "./cases.ts";
export { renderValidation, VALIDATE_FORMATS } from "./render.ts";
export { runValidation, type ValidationReport, type ValidationRow } from "./validate.ts";

/** `--profile-file <built-in profile>=<path>`, as a pair. */
function profileFile() {
  return z.string().transform((raw, ctx): [string, string] => {
    const at = raw.indexOf("=");
    if (at <= 0 || at === raw.length - 1) {
      return reject(ctx, {
        value: raw,
        problem: "expected <built-in profile name>=<path to a JSON profile>",
      });
    }
    const name = raw.slice(0, at);
    if (!(BUILTIN_PROFILES as readonly string[]).includes(name)) {
      return reject(ctx, { value: name, noun: "built-in profile", choices: BUILTIN_PROFILES });
    }
    return [name, raw.slice(at + 1)];
  });
}

/** The flags of `pkslab validate`. */
export const validateFlagsSchema = z.object({
  refit: flag().optional(),
  format: choice("format", VALIDATE_FORMATS),
  out: outPath().optional(),
  case: z
    .array(
      choice(
        "validation case",
        VALIDATION_CASES.map((c) => c.id),
      ),
    )
    .optional(),
  profileFile: z.array(profileFile()).optional(),
  jobs: wholeNumber(1).optional(),
});

/**
 * `--refit`: redoes the documented fits on the current model and profiles and prints the
 * values next to the recorded ones (the profiles are not rewritten).
 */
export function refitText(): string {
  const lines = [
    "Refit on the current model (reports/analyses/validate/fit.ts); copy changed values into the profile by hand, keeping fittedTo:",
  ];
  for (const [name, refit] of [
    ["server-2022", fitServer],
    ["opteron-2008", fitOpteron],
  ] as const) {
    const profile = loadProfile(name);
    for (const [parameter, value] of Object.entries(refit(profile))) {
      const recorded = profile.parameters[parameter];
      lines.push(
        recorded
          ? `  ${name}.${parameter}: recorded ${recorded.value}, refit ${value}${recorded.fittedTo ? ` (fitted to ${recorded.fittedTo})` : ""}`
          : `  ${name} ${parameter}: ${value}`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}

/** Adds the `validate` subcommand to the main program. */
export function registerValidateCommand(program: Command): void {
  program
    .command("validate")
    .description(
      "Run the validation cases: published results (XPFO, vmap rewrite, test_vmalloc, range flushes) against the model in the same experiment shape; says which cases were used to fit the profile. Exit 1 if a case fails.",
    )
    .option("--format <format>", "output format: table, markdown, email, csv, json", "table")
    .option("--out <file>", "write the report to this file (atomically) instead of stdout")
    .option("--case <id>", "run only this case (repeatable)", collect)
    .option(
      "--profile-file <name=path>",
      "run the cases of built-in profile <name> on the profile file <path> instead (repeatable)",
      collect,
    )
    .option(
      "--jobs <n>",
      "threads that run the cases: this one and n - 1 workers (default 1: the cases take about a second, less than a worker takes to start); results do not depend on it",
    )
    .option("--refit", "redo the fits on the current model and print the values (about a minute)")
    .action(async (raw: unknown) => {
      const flags = parseFlags(validateFlagsSchema, raw);
      if (flags.refit) {
        process.stdout.write(refitText());
        return;
      }
      const { format, out } = flags;
      const replacements = new Map(
        (flags.profileFile ?? []).map(([name, path]) => [name, loadProfile(path)]),
      );
      const report = await runValidation({
        cases: flags.case,
        ...(flags.jobs !== undefined ? { jobs: flags.jobs } : {}),
        profileFor: (name) => replacements.get(name) ?? loadProfile(name),
        profileFiles: Object.fromEntries(flags.profileFile ?? []),
      });
      const text = renderValidation(report, format);
      if (out) {
        writeFileAtomic(out, text);
        process.stderr.write(
          `validate: ${report.passed}/${report.rows.length} cases pass; wrote ${out}\n`,
        );
      } else {
        process.stdout.write(text);
      }
      if (report.failed - report.knownMisses > 0) process.exitCode = 1;
    });
}
