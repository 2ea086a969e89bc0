import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { resultsJsonSchema, sweepJsonSchema } from "../../reports/results/results.ts";
import { pkslab } from "../helpers/cli.ts";
import { GOLDEN_DIR, SMALL_ARGS } from "./helpers.ts";

const SCHEMA_PATH = join(
  import.meta.dirname,
  "..",
  "..",
  "reports",
  "results",
  "schema",
  "results.schema.json",
);
// Regenerate deliberately: UPDATE_SCHEMA=1 npx vitest run test/reports/schema.test.ts, then
// npx biome check --write reports/results/schema.
const SWEEP_SCHEMA_PATH = join(SCHEMA_PATH, "..", "sweep.schema.json");
if (process.env.UPDATE_SCHEMA === "1") {
  writeFileSync(SCHEMA_PATH, `${JSON.stringify(resultsJsonSchema(), null, 2)}\n`);
  writeFileSync(SWEEP_SCHEMA_PATH, `${JSON.stringify(sweepJsonSchema(), null, 2)}\n`);
}
const shipped = JSON.parse(readFileSync(SCHEMA_PATH, "utf8"));
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(shipped);

function expectValid(doc: unknown): void {
  const ok = validate(doc);
  expect(ok, JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
}

describe("the result JSON Schema", () => {
  it("is the schema generated from reports/results.ts (regenerate the file when the contract changes)", () => {
    expect(shipped).toEqual(resultsJsonSchema());
  });

  it("accepts the golden document", () => {
    expectValid(JSON.parse(readFileSync(join(GOLDEN_DIR, "small.json"), "utf8")));
  });

  it("accepts what compare --format json writes, and rejects a broken document", async () => {
    const run = await pkslab`compare ${SMALL_ARGS} --seeds 1 --format json`;
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expectValid(doc);
    expect(validate({ ...doc, schemaVersion: 1 })).toBe(false);
    expect(validate({ ...doc, surprise: true })).toBe(false);
    const { configHash: _hash, ...context } = doc.context;
    expect(validate({ ...doc, context })).toBe(false);
  });

  it("ships the sweep schema generated from the code, and sweep --format json conforms to it", async () => {
    const sweepShipped = JSON.parse(readFileSync(SWEEP_SCHEMA_PATH, "utf8"));
    expect(sweepShipped).toEqual(sweepJsonSchema());
    const validateSweep = new Ajv2020({ allErrors: true, strict: false }).compile(sweepShipped);
    const run = await pkslab`sweep ${SMALL_ARGS} --param profile.wrmsr_pkrs_cycles=1,64
      --format json`;
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(validateSweep(doc), JSON.stringify(validateSweep.errors?.slice(0, 3))).toBe(true);
    // And it refuses what is not one: a third parameter, a point without its document.
    expect(validateSweep({ ...doc, parameters: ["a", "b", "c"] })).toBe(false);
    expect(validateSweep({ ...doc, points: [{ values: ["1"] }] })).toBe(false);
  });
});
