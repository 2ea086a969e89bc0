import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Command, CommanderError } from "commander";
import { UserInputError } from "../../core/errors.ts";
import { PACKAGE_ROOT } from "../../core/package-root.ts";
import { registerCommands } from "./commands.ts";

/** pkslab's version, from package.json (echoed in every result). */
export const TOOL_VERSION: string = JSON.parse(
  readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8"),
).version;

/**
 * A message made safe for a terminal: control characters (newlines too: one message is one line) and undecodable bytes (a binary
 * file's contents quoted by a JSON parse error, say) become \xNN or "?", so that what
 * the user sees is one readable message.
 */
export function printable(message: string): string {
  let out = "";
  for (const char of message.trimEnd()) {
    const code = char.codePointAt(0) ?? 0;
    if (code === 0xfffd) out += "?";
    else if (code < 0x20 || (code >= 0x7f && code < 0xa0))
      out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += char;
  }
  return out;
}

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
      process.stderr.write(`pkslab: error: ${printable(error.message)}\n`);
      if (debug) process.stderr.write(`${error.stack}\n`);
      return 2;
    }
    process.stderr.write(
      `pkslab: internal error: ${printable((error as Error)?.message ?? String(error))}\n` +
        (debug ? `${(error as Error).stack}\n` : "(run with --debug for a stack trace)\n"),
    );
    return 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv);
}
