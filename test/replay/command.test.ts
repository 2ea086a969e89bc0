import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { UserInputError } from "../../core/errors.ts";
import {
  registerReplayCommand,
  validateReplayOptions,
} from "../../reports/analyses/replay/command.ts";
import { tempDir } from "../helpers/tmp.ts";

const handMade = join(import.meta.dirname, "..", "fixtures", "traces", "hand-made.txt");
const defaults = { mapping: "per-call,per-search", format: "table", seed: "1" };

describe("pkslab replay options", () => {
  it("accepts the defaults and parses --set values", () => {
    const valid = validateReplayOptions(handMade, { ...defaults, set: ["held_buffers=2"] });
    expect(valid.mappings).toEqual(["per-call", "per-search"]);
    expect(valid.params).toEqual({ held_buffers: 2 });
    expect(valid.strategies).toEqual([]);
  });

  it("rejects bad input with UserInputError", () => {
    const bad = (trace: string, options: Partial<typeof defaults> & Record<string, unknown>) =>
      expect(() => validateReplayOptions(trace, { ...defaults, ...options })).toThrow(
        UserInputError,
      );
    bad("/nonexistent/trace.txt", {});
    bad(tmpdir(), {});
    bad(handMade, { mapping: "per-page" });
    bad(handMade, { mapping: "" });
    bad(handMade, { format: "html" });
    bad(handMade, { cpus: "0" });
    bad(handMade, { seed: "-1" });
    bad(handMade, { set: ["held_buffers"] });
    bad(handMade, { set: ["mapping=per-call"] });
    bad(handMade, { out: "/nonexistent/dir/out.json" });
    bad(handMade, { jobs: "0" });
    bad(handMade, { jobs: "1.5" });
  });

  it("runs end to end through commander and writes JSON with --out", async () => {
    const program = new Command("pkslab").exitOverride();
    registerReplayCommand(program);
    const out = join(tempDir("replay"), "replay.json");
    const stderr = process.stderr.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      await program.parseAsync(
        ["replay", handMade, "--strategies", "pks-kmap", "--out", out, "--format", "json"],
        { from: "user" },
      );
    } finally {
      process.stderr.write = stderr;
    }
    const result = JSON.parse(readFileSync(out, "utf8"));
    expect(result.stats.calls).toBe(8);
    expect(result.cells.map((c: { mapping: string }) => c.mapping)).toEqual([
      "per-call",
      "per-search",
    ]);
  });

  it("writes the same JSON whatever --jobs", async () => {
    const excerpt = join(import.meta.dirname, "..", "fixtures", "traces", "capture-excerpt.txt");
    const dir = tempDir("replay-jobs");
    const stderr = process.stderr.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    const texts: string[] = [];
    try {
      for (const jobs of ["1", "2"]) {
        const program = new Command("pkslab").exitOverride();
        registerReplayCommand(program);
        const out = join(dir, `replay-${jobs}.json`);
        await program.parseAsync(
          ["replay", excerpt, "--out", out, "--format", "json", "--jobs", jobs],
          {
            from: "user",
          },
        );
        texts.push(readFileSync(out, "utf8"));
      }
    } finally {
      process.stderr.write = stderr;
    }
    expect(JSON.parse(texts[0]).cells.length).toBeGreaterThanOrEqual(4);
    expect(texts[1]).toBe(texts[0]);
  }, 60_000);
});
