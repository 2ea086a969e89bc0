/**
 * Every subcommand of `pkslab`, registered in the order `pkslab --help` lists them. This
 * folder declares commands and flags only: each action parses its flags with its zod schema
 * (flags.ts) and calls a function of reports/commands/ or of an analysis.
 */
import type { Command } from "commander";
import { registerAnalysisCommands } from "./analysis-commands.ts";
import { registerInfoCommands } from "./info-commands.ts";
import { registerMergeCommand, registerRunCommands } from "./run-commands.ts";

/** Adds every subcommand to the program. `toolVersion` is echoed into results. */
export function registerCommands(program: Command, toolVersion: string): void {
  registerRunCommands(program, toolVersion);
  registerInfoCommands(program);
  registerAnalysisCommands(program);
  registerMergeCommand(program);
}
