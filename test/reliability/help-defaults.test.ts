/**
 * The defaults that `--help` states are the defaults the code uses (issue 21: the help
 * listed a "splits" column that the table does not show).
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_OPERATION_BUDGET } from "../../core/engine/index.ts";
import { DEFAULT_MACHINE } from "../../core/machine/index.ts";
import { DEFAULT_PROFILE } from "../../core/profile.ts";
import { EXTRA_METRICS } from "../../reports/render/common.ts";
import {
  DEFAULT_BASE_SEED,
  DEFAULT_BASELINE,
  DEFAULT_SEEDS,
  mergeCompareOptions,
} from "../../reports/run/config.ts";
import { DEFAULT_CELL_MEMORY_MB, DEFAULT_CELL_TIMEOUT_SECONDS } from "../../reports/run/limits.ts";
import { AUTO_PARALLEL_SEED_RUNS } from "../../reports/run/pool.ts";
import { pkslab } from "../helpers/cli.ts";

/** Each option's help text, by flag, from `pkslab <command> --help` (lines joined). */
async function helpOf(command: string): Promise<Map<string, string>> {
  const run = await pkslab`${command} --help`;
  expect(run.code).toBe(0);
  const options = new Map<string, string>();
  let current: string | undefined;
  for (const line of run.stdout.split("\n")) {
    const start = /^\s{2}(--[\w-]+)(?: <[^>]+>)?\s+(.*)$/.exec(line);
    if (start) {
      current = start[1];
      options.set(current, start[2]);
    } else if (current && /^\s{10,}\S/.test(line)) {
      options.set(current, `${options.get(current)} ${line.trim()}`);
    } else {
      current = undefined;
    }
  }
  return options;
}

const defaultIn = (text: string | undefined): string | undefined =>
  /\(default:? ([^;)]+)/.exec(text ?? "")?.[1].trim();

describe("help defaults match the code", () => {
  it("compare --help", async () => {
    const help = await helpOf("compare");
    // What the code falls back to when no flag is given.
    const options = mergeCompareOptions({});
    expect(defaultIn(help.get("--cpus"))).toBe(String(DEFAULT_MACHINE.cpus));
    expect(defaultIn(help.get("--seeds"))).toBe(String(options.seeds));
    expect(options.seeds).toBe(DEFAULT_SEEDS);
    expect(defaultIn(help.get("--seed"))).toBe(String(options.seed));
    expect(options.seed).toBe(DEFAULT_BASE_SEED);
    expect(defaultIn(help.get("--profile"))).toBe(DEFAULT_PROFILE);
    expect(defaultIn(help.get("--baseline"))).toBe(DEFAULT_BASELINE);
    expect(defaultIn(help.get("--cell-timeout"))).toBe(
      String((options.cellTimeout?.ms ?? 0) / 1000),
    );
    expect(options.cellTimeout?.ms).toBe(DEFAULT_CELL_TIMEOUT_SECONDS * 1000);
    expect(defaultIn(help.get("--cell-memory"))).toBe(String(options.cellMemory?.mb));
    expect(options.cellMemory?.mb).toBe(DEFAULT_CELL_MEMORY_MB);
    expect(defaultIn(help.get("--operation-budget"))).toBe(String(DEFAULT_OPERATION_BUDGET));
    expect(help.get("--jobs")).toContain(`${AUTO_PARALLEL_SEED_RUNS} or more seed runs`);
    // The default columns are the table's columns after cycles/op, in order.
    expect(help.get("--metrics")).toMatch(
      new RegExp(
        `; default: ${EXTRA_METRICS.map((m) => m.long)
          .join(", ")
          .replace(/[()]/g, "\\$&")}\\)$`,
      ),
    );
    expect(help.get("--metrics")).not.toMatch(/splits/);
    expect(help.get("--stray-every")).toMatch(/0 injects none/);
  });

  it("check-plugin --help and profile --help", async () => {
    const check = await helpOf("check-plugin");
    expect(defaultIn(check.get("--cell-timeout"))).toBe(String(DEFAULT_CELL_TIMEOUT_SECONDS));
    expect(defaultIn(check.get("--cell-memory"))).toBe(String(DEFAULT_CELL_MEMORY_MB));
    expect(defaultIn(check.get("--profile"))).toBe(DEFAULT_PROFILE);
    const profile = await helpOf("profile");
    expect(profile.get("--profile")).toContain(`"${DEFAULT_PROFILE}"`);
  });
});
