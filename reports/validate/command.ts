/**
 * `pkslab validate`: runs every validation case (published result vs the model in the
 * experiment's shape) and prints model vs published, the ratio, pass/fail and whether the
 * case was used for fitting. Exit code 1 when a case fails.
 *
 *   pkslab validate [--format table|markdown|email|csv|json] [--out <file>] [--case <id>...]
 *                   [--profile-file <name>=<path>]
 */
import { existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import { writeFileAtomic } from "../../core/atomic-write.ts";
import { UserInputError } from "../../core/errors.ts";
import { type CostProfile, loadProfile } from "../../core/profile.ts";
import { fitOpteron, fitServer } from "./fit.ts";
import { checkValidateFormat, renderValidation } from "./render.ts";
import { runValidation } from "./validate.ts";

export { VALIDATION_CASES, type ValidationCase } from "./cases.ts";
export { renderValidation, VALIDATE_FORMATS } from "./render.ts";
export { runValidation, type ValidationReport, type ValidationRow } from "./validate.ts";

/** Checks an --out path: its directory must exist and it must not be a directory. */
export function checkOutPath(out: string | undefined): string | undefined {
  if (out === undefined) return undefined;
  const path = resolve(out);
  const parent = dirname(path);
  if (!existsSync(parent) || !statSync(parent).isDirectory()) {
    throw new UserInputError(`--out ${out}: directory ${parent} does not exist.`);
  }
  if (existsSync(path) && statSync(path).isDirectory()) {
    throw new UserInputError(`--out ${out}: is a directory.`);
  }
  return path;
}

/** `--profile-file server-2022=./broken.json`: run that profile's cases on another file. */
export function profileReplacements(
  entries: readonly string[] | undefined,
): Map<string, CostProfile> {
  const map = new Map<string, CostProfile>();
  for (const entry of entries ?? []) {
    const at = entry.indexOf("=");
    if (at <= 0 || at === entry.length - 1) {
      throw new UserInputError(
        `--profile-file ${entry}: expected <built-in profile name>=<path to a JSON profile>.`,
      );
    }
    map.set(entry.slice(0, at), loadProfile(entry.slice(at + 1)));
  }
  return map;
}

/**
 * `--refit`: redoes the documented fits on the current model and profiles and prints the
 * values next to the recorded ones (the profiles are not rewritten).
 */
export function refitText(): string {
  const lines = [
    "Refit on the current model (reports/validate/fit.ts); copy changed values into the profile by hand, keeping fittedTo:",
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

interface ValidateFlags {
  refit?: boolean;
  format: string;
  out?: string;
  case?: string[];
  profileFile?: string[];
}

const collect = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  value,
];

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
    .option("--refit", "redo the fits on the current model and print the values (about a minute)")
    .action((flags: ValidateFlags) => {
      if (flags.refit) {
        process.stdout.write(refitText());
        return;
      }
      const format = checkValidateFormat(flags.format);
      const out = checkOutPath(flags.out);
      const replacements = profileReplacements(flags.profileFile);
      const report = runValidation({
        cases: flags.case,
        profileFor: (name) => replacements.get(name) ?? loadProfile(name),
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
      if (report.failed > 0) process.exitCode = 1;
    });
}
