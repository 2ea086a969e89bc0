/**
 * `pkslab census`: the kernel call-site census command.
 *
 *   pkslab census --kernel-src <dir> [--format table|markdown|email|csv|json]
 *                 [--out <file>] [--arch all|x86|...] [--sites]
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { z } from "zod";
import { writeFileAtomic } from "../../../core/atomic-write.ts";
import { UserInputError } from "../../../core/errors.ts";
import {
  choice,
  existingDirectory,
  flag,
  outPath,
  parseFlags,
  reject,
  text,
} from "../../run/flag-schema.ts";
import { runCensus } from "./census.ts";
import { renderCensus } from "./render.ts";
import { CENSUS_FORMATS, type CensusFormat } from "./report.ts";
import { listArchitectures } from "./scan.ts";

export type { CensusOptions, CensusResult } from "./census.ts";
export { runCensus } from "./census.ts";
export { renderCensus } from "./render.ts";
export { CENSUS_FORMATS, type CensusFormat } from "./report.ts";

export interface CensusCommandOptions {
  kernelSrc?: string;
  format: string;
  out?: string;
  arch: string;
  sites?: boolean;
}

/** The flags of `pkslab census`; --arch must name an arch/ directory of the tree. */
export const censusFlagsSchema = z
  .object({
    kernelSrc: existingDirectory(
      "census needs --kernel-src <dir>: the root of an unpacked Linux source tree " +
        "(scripts/fetch-linux-source.sh fetches Debian's 6.1 tree).",
    ),
    format: choice("format", CENSUS_FORMATS),
    out: outPath().optional(),
    arch: text(),
    sites: flag().optional(),
  })
  .transform((flags, ctx) => {
    if (flags.arch !== "all") {
      const choices = ["all", ...listArchitectures(flags.kernelSrc)];
      if (!choices.includes(flags.arch)) {
        return reject(ctx, { value: flags.arch, noun: "arch", choices }, ["arch"]);
      }
    }
    return flags;
  });

/**
 * What makes `root` not the root of a Linux source tree (empty when it is one): the top-level
 * Makefile with its `VERSION =` line, and the mm/ or fs/ directory every tree has. A census
 * of another directory would print all-zero tables that look like a result.
 */
export function notLinuxTree(root: string): string[] {
  const missing: string[] = [];
  const makefile = join(root, "Makefile");
  let version = false;
  try {
    version =
      statSync(makefile).isFile() && /^VERSION\s*=\s*\d+/m.test(readFileSync(makefile, "utf8"));
  } catch {
    version = false;
  }
  if (!version) missing.push("no top-level Makefile with a VERSION line");
  const isDir = (name: string) =>
    existsSync(join(root, name)) && statSync(join(root, name)).isDirectory();
  if (!isDir("mm") && !isDir("fs")) missing.push("no mm/ or fs/ directory");
  return missing;
}

/** Checks the options; returns the validated values or throws UserInputError. */
export function validateCensusOptions(options: CensusCommandOptions): {
  kernelSrc: string;
  format: CensusFormat;
  out: string | undefined;
  arch: string;
} {
  const { kernelSrc, format, out, arch } = parseFlags(censusFlagsSchema, options);
  const missing = notLinuxTree(kernelSrc);
  if (missing.length > 0) {
    throw new UserInputError(
      `--kernel-src ${kernelSrc}: not a Linux source tree (${missing.join("; ")}); give the root of an unpacked kernel tree (scripts/fetch-linux-source.sh fetches Debian's 6.1 tree).`,
    );
  }
  return { kernelSrc, format, out, arch };
}

/** Adds the `census` subcommand to the main program. */
export function registerCensusCommand(program: Command): void {
  program
    .command("census")
    .description(
      "Count the kernel call sites of the mapping APIs (kmap family, page_address, vmap, " +
        "helpers) per API and per directory, and map them onto the strategies (adoption table).",
    )
    .option("--kernel-src <dir>", "root of an unpacked Linux source tree (required)")
    .option("--format <format>", `output format: ${CENSUS_FORMATS.join(", ")}`, "table")
    .option("--out <file>", "write the output to this file (atomically) instead of stdout")
    .option(
      "--arch <arch>",
      'arch view: "all", or an arch/ directory (e.g. x86) to leave the other arch/* out',
      "all",
    )
    .option("--sites", "json only: also list every match (path, line, api, class, function)")
    .action((options: CensusCommandOptions) => {
      const valid = validateCensusOptions(options);
      const result = runCensus({ kernelSrc: valid.kernelSrc, arch: valid.arch });
      const text = renderCensus(result, valid.format, { sites: options.sites === true });
      if (valid.out) {
        writeFileAtomic(valid.out, text);
        process.stderr.write(
          `census: ${result.totals.calls} calls in ${result.scan.filesScanned} files ` +
            `(${(result.scan.elapsedMs / 1000).toFixed(1)} s); wrote ${valid.out}\n`,
        );
      } else {
        process.stdout.write(text);
      }
    });
}
