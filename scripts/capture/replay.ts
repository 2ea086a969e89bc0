/**
 * Standalone entry of the replay command, for use before (or without) the main CLI:
 *
 *   npx tsx scripts/capture/replay.ts <trace> [the options of `pkslab replay`]
 *
 * Same options and output as `pkslab replay` (reports/analyses/replay/command.ts).
 */
import { Command, CommanderError } from "commander";
import { UserInputError } from "../../core/errors.ts";
import { registerReplayCommand } from "../../reports/analyses/replay/command.ts";

const program = new Command("pkslab").exitOverride();
registerReplayCommand(program);
for (const command of program.commands) command.exitOverride();
try {
  await program.parseAsync(["replay", ...process.argv.slice(2)], { from: "user" });
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
  if (error instanceof UserInputError) {
    process.stderr.write(`pkslab replay: ${error.message}\n`);
    process.exit(error.exitCode);
  }
  throw error;
}
