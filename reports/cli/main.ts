import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { UserInputError } from "../../core/errors.ts";
import { registerCommands } from "./commands.ts";

/** pkslab's version, from package.json (echoed in every result). */
export const TOOL_VERSION: string = JSON.parse(
  readFileSync(new URL("../../package.json", import.meta.url), "utf8"),
).version;

/** Builds the commander program with every subcommand. */
export function buildProgram(): Command {
  const program = new Command("pkslab")
    .description(
      "Compare candidate Linux kernel APIs for x86 Protection Keys Supervisor (PKS) on one shared machine model.",
    )
    .version(TOOL_VERSION)
    .option("--debug", "print stack traces for errors")
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  registerCommands(program, TOOL_VERSION);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/**
 * Runs the CLI. Returns the exit code: 0 success, 1 a run or check failed, 2 bad input.
 * User errors print one clear message, never a stack trace (unless --debug).
 */
export async function main(argv: readonly string[]): Promise<number> {
  const debug = argv.includes("--debug");
  const program = buildProgram();
  try {
    await program.parseAsync(argv as string[]);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are "errors" to commander's exitOverride but exit 0.
      if (error.exitCode === 0) return 0;
      return 2;
    }
    if (error instanceof UserInputError) {
      process.stderr.write(`pkslab: error: ${error.message}\n`);
      if (debug) process.stderr.write(`${error.stack}\n`);
      return 2;
    }
    process.stderr.write(
      `pkslab: internal error: ${(error as Error).message ?? String(error)}\n` +
        (debug ? `${(error as Error).stack}\n` : "(run with --debug for a stack trace)\n"),
    );
    return 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv);
}
