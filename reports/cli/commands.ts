import { type Command, InvalidArgumentError } from "commander";
import { DEFAULT_MACHINE, Machine } from "../../core/machine.ts";
import { loadProfile } from "../../core/profile.ts";
import { registerCensusCommand } from "../census/command.ts";
import { renderProfile } from "./profile-view.ts";

function parseInteger(name: string) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed))
      throw new InvalidArgumentError(`${name} must be an integer, got "${value}".`);
    return parsed;
  };
}

/** Adds every subcommand to the program. */
export function registerCommands(program: Command): void {
  program
    .command("compare")
    .description("run every strategy on every workload and print the comparison")
    .option("--cpus <n>", "online CPUs", parseInteger("--cpus"), DEFAULT_MACHINE.cpus)
    .option("--profile <name|file>", "cost profile", "server-2022")
    .action((options: { cpus: number; profile: string }) => {
      const machine = new Machine(
        { ...DEFAULT_MACHINE, cpus: options.cpus },
        loadProfile(options.profile),
      );
      const summary = machine.summary();
      process.stdout.write("pkslab machine model\n");
      for (const [key, value] of Object.entries(summary))
        process.stdout.write(`  ${key}: ${value}\n`);
    });

  program
    .command("profile")
    .description("print the cost profile: every parameter with value, unit, source and confidence")
    .option("--profile <name|file>", "cost profile", "server-2022")
    .option("--json", "machine-readable output")
    .action((options: { profile: string; json?: boolean }) => {
      const profile = loadProfile(options.profile);
      process.stdout.write(
        options.json ? `${JSON.stringify(profile, null, 2)}\n` : renderProfile(profile),
      );
    });

  registerCensusCommand(program);
}
