/** The commander wiring of the analyses: `census`, `validate`, `claims` and `replay`. */
import type { Command } from "commander";
import { registerCensusCommand } from "../analyses/census/command.ts";
import { registerClaimsCommand } from "../analyses/claims/command.ts";
import { registerReplayCommand } from "../analyses/replay/command.ts";
import { registerValidateCommand } from "../analyses/validate/command.ts";

/** Adds the analyses' subcommands to the program. */
export function registerAnalysisCommands(program: Command): void {
  registerCensusCommand(program);
  registerValidateCommand(program);
  registerClaimsCommand(program);
  registerReplayCommand(program);
}
