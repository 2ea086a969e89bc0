/**
 * Reads a census JSON file (written by `pkslab census --format json`) back, for
 * `pkslab compare --census <census.json>`: validates what the comparison report needs and
 * exposes the adoption figures per strategy.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { UserInputError } from "../../../core/errors.ts";
import { CENSUS_SCHEMA_VERSION } from "./census.ts";

const termSchema = z.looseObject({
  id: z.string(),
  label: z.string(),
  change: z.string(),
  counted: z.boolean(),
  sites: z.number().int().nonnegative(),
});

const adoptionSchema = z.looseObject({
  strategy: z.string().min(1),
  summary: z.string(),
  sites: z.number().int().nonnegative(),
  terms: z.array(termSchema),
  notCounted: z.array(z.string()),
  citations: z.array(z.string()),
});

/** The parts of the census JSON that other commands rely on. */
export const censusJsonSchema = z.looseObject({
  schemaVersion: z.literal(CENSUS_SCHEMA_VERSION),
  tool: z.literal("pkslab census"),
  command: z.string(),
  tree: z.looseObject({ path: z.string(), release: z.string().nullable() }),
  arch: z.string(),
  countingRules: z.array(z.string()),
  totals: z.looseObject({ calls: z.number().int().nonnegative() }),
  adoption: z.array(adoptionSchema),
});

export type CensusJson = z.infer<typeof censusJsonSchema>;
export type CensusJsonAdoption = z.infer<typeof adoptionSchema>;

/** Parses census JSON text; problems are user input errors naming the source. */
export function parseCensusJson(text: string, source = "census JSON"): CensusJson {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UserInputError(`${source}: not valid JSON (${(error as Error).message}).`);
  }
  const parsed = censusJsonSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
      .join("; ");
    throw new UserInputError(
      `${source}: not a pkslab census (schemaVersion ${CENSUS_SCHEMA_VERSION}) file: ${problems}.`,
    );
  }
  return parsed.data;
}

/** Reads and validates a census JSON file. */
export function readCensusJson(path: string): CensusJson {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new UserInputError(`--census ${path}: cannot read (${(error as Error).message}).`);
  }
  return parseCensusJson(text, path);
}

/** The adoption row for a strategy, if the census has one. */
export function censusAdoptionFor(
  census: CensusJson,
  strategy: string,
): CensusJsonAdoption | undefined {
  return census.adoption.find((row) => row.strategy === strategy);
}

/** The census block of a comparison's result document (`compare --census`). */
export function censusBlock(census: CensusJson): {
  release: string | null;
  arch: string;
  command: string;
  totalCalls: number;
  adoption: { strategy: string; sites: number; summary: string }[];
} {
  return {
    release: census.tree.release,
    arch: census.arch,
    command: census.command,
    totalCalls: census.totals.calls,
    adoption: census.adoption.map((row) => ({
      strategy: row.strategy,
      sites: row.sites,
      summary: row.summary,
    })),
  };
}
