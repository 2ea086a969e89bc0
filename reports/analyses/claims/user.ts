/**
 * User claims files (`pkslab claims --claims <file>`), documented in docs/claims.md:
 * - JSON: `{ "claims": [ { id, quote, predicate, workloads, strategies, all: [conditions] } ] }`,
 *   each condition comparing a cell's metric with another cell's metric or a number;
 * - TypeScript/JavaScript: a module whose default export is a claim or an array of claims
 *   (the `Claim` interface of reports/analyses/claims/claims.ts, with a `decide` function).
 */
import { existsSync } from "node:fs";
import { extname, resolve } from "node:path";
import { z } from "zod";
import {
  readJsonFile,
  schemaKeysAt,
  UserInputError,
  unknownChoiceError,
  zodErrorMessage,
} from "../../../core/errors.ts";
import { importUserModule, loadErrorMessage } from "../../../core/load-module.ts";
import { metricSpec } from "../../../core/metrics.ts";
import { CLAIM_WORKLOADS, type Claim, type ClaimResults, num } from "./claims.ts";
import { CLAIM_STRATEGIES } from "./evaluate.ts";

const OPERATORS = ["<", "<=", ">", ">=", "==", "!="] as const;

/** Cell statuses a condition may accept besides `ok` (`accept`). */
export const ACCEPTABLE_STATUSES = ["partial", "unsupported", "failed", "error"] as const;

const cellRef = z
  .object({
    workload: z.string(),
    strategy: z.string(),
    metric: z.string(),
    /**
     * Statuses besides `ok` whose metrics this condition reads (default none: a cell that
     * is not `ok` makes the claim not decidable, naming the status and its reason).
     */
    accept: z.array(z.enum(ACCEPTABLE_STATUSES)).optional(),
  })
  .strict();

const conditionSchema = z
  .object({ left: cellRef, op: z.enum(OPERATORS), right: z.union([cellRef, z.number()]) })
  .strict();

const claimSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "must be kebab-case (a-z, 0-9 and -)"),
    quote: z.string().min(1, "must not be empty"),
    speaker: z.string().optional(),
    source: z.string().optional(),
    predicate: z.string().min(1, "must not be empty"),
    setup: z.string().optional(),
    all: z.array(conditionSchema).min(1),
  })
  .strict();

const fileSchema = z.object({ claims: z.array(claimSchema).min(1) }).strict();

type CellRef = z.infer<typeof cellRef>;
type Condition = z.infer<typeof conditionSchema>;

function checkRef(ref: CellRef, origin: string): void {
  if (!CLAIM_WORKLOADS.includes(ref.workload)) {
    throw unknownChoiceError(`workload in claims file ${origin}`, ref.workload, CLAIM_WORKLOADS);
  }
  if (!Object.hasOwn(CLAIM_STRATEGIES, ref.strategy)) {
    throw unknownChoiceError(
      `strategy in claims file ${origin}`,
      ref.strategy,
      Object.keys(CLAIM_STRATEGIES),
    );
  }
  if (!metricSpec(ref.metric)) {
    throw new UserInputError(
      `claims file ${origin}: unknown metric "${ref.metric}" (see core/metrics.ts or \`pkslab compare --format json\`).`,
    );
  }
}

function compare(a: number, op: Condition["op"], b: number): boolean {
  switch (op) {
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    case ">=":
      return a >= b;
    case "==":
      return a === b;
    case "!=":
      return a !== b;
  }
}

/** Turns one JSON claim into a Claim: supported when every condition holds. */
export function jsonClaim(data: z.infer<typeof claimSchema>, origin: string): Claim {
  const refs = data.all.flatMap((c) =>
    typeof c.right === "number" ? [c.left] : [c.left, c.right],
  );
  for (const ref of refs) checkRef(ref, origin);
  /** The metric, or why it cannot be read (the cell did not run, or its status is not accepted). */
  const read = (results: ClaimResults, ref: CellRef): number | string => {
    const cell = results.cell(ref.workload, ref.strategy);
    const where = `${ref.workload}/${ref.strategy}`;
    if (!cell) return `${where} did not run`;
    if (
      cell.status !== "ok" &&
      !(ref.accept as readonly string[] | undefined)?.includes(cell.status)
    ) {
      return `${where} is ${cell.status}${cell.reason ? ` (${cell.reason})` : ""}; the condition accepts ${["ok", ...(ref.accept ?? [])].join(", ")}`;
    }
    const value = cell.metrics[ref.metric];
    return value === undefined ? `${where} has no ${ref.metric}` : value;
  };
  const label = (ref: CellRef, results?: ClaimResults) => {
    const status = results?.cell(ref.workload, ref.strategy)?.status;
    return `${ref.workload}/${ref.strategy}${status !== undefined && status !== "ok" ? ` [${status}]` : ""} ${ref.metric}`;
  };
  return {
    id: data.id,
    quote: data.quote,
    speaker: data.speaker ?? "-",
    source: data.source ?? origin,
    predicate: data.predicate,
    ...(data.setup !== undefined ? { setup: data.setup } : {}),
    workloads: [...new Set(refs.map((r) => r.workload))],
    strategies: [...new Set(refs.map((r) => r.strategy))],
    decide(results) {
      const evidence: string[] = [];
      let holds = true;
      let tied = false;
      for (const condition of data.all) {
        const left = read(results, condition.left);
        const right =
          typeof condition.right === "number" ? condition.right : read(results, condition.right);
        if (typeof left === "string" || typeof right === "string") {
          return {
            verdict: "not decidable",
            evidence: [typeof left === "string" ? left : (right as string)],
          };
        }
        // A strict comparison between equal values is a tie: neither side of the claim.
        const tie = (condition.op === "<" || condition.op === ">") && left === right;
        const ok = compare(left, condition.op, right);
        if (tie) tied = true;
        else holds &&= ok;
        const rightText =
          typeof condition.right === "number"
            ? num(right)
            : `${label(condition.right, results)} = ${num(right)}`;
        evidence.push(
          `${label(condition.left, results)} = ${num(left)} ${condition.op} ${rightText}: ${tie ? "tie" : ok}`,
        );
      }
      return { verdict: !holds ? "refuted" : tied ? "tie" : "supported", evidence };
    },
  };
}

/** Checks the shape of a TypeScript-defined claim. */
function checkModuleClaim(value: unknown, origin: string): Claim {
  const claim = value as Partial<Claim>;
  const problems: string[] = [];
  if (typeof claim?.id !== "string") problems.push("id must be a string");
  if (typeof claim?.quote !== "string") problems.push("quote must be a string");
  if (typeof claim?.predicate !== "string") problems.push("predicate must be a string");
  if (typeof claim?.decide !== "function") problems.push("decide must be a function");
  if (!Array.isArray(claim?.strategies)) problems.push("strategies must be an array");
  if (claim?.workloads !== "all" && !Array.isArray(claim?.workloads)) {
    problems.push('workloads must be an array or "all"');
  }
  if (problems.length > 0) {
    throw new UserInputError(`claims file ${origin}: ${problems.join("; ")}.`);
  }
  for (const w of claim.workloads === "all" ? [] : claim.workloads!) {
    if (!CLAIM_WORKLOADS.includes(w)) {
      throw unknownChoiceError(`workload in claims file ${origin}`, w, CLAIM_WORKLOADS);
    }
  }
  for (const s of claim.strategies!) {
    if (!Object.hasOwn(CLAIM_STRATEGIES, s)) {
      throw unknownChoiceError(
        `strategy in claims file ${origin}`,
        s,
        Object.keys(CLAIM_STRATEGIES),
      );
    }
  }
  return { speaker: "-", source: origin, ...claim } as Claim;
}

/** Loads a claims file (JSON, or a TypeScript/JavaScript module). */
export async function loadClaimsFile(path: string): Promise<Claim[]> {
  const absolute = resolve(path);
  if (!existsSync(absolute)) throw new UserInputError(`--claims ${path}: no such file.`);
  const extension = extname(absolute);
  if (extension === ".json") {
    const data = readJsonFile(path, "claims file");
    const parsed = fileSchema.safeParse(data, { reportInput: true });
    if (!parsed.success) {
      const message = zodErrorMessage(parsed.error.issues, data, (at) =>
        schemaKeysAt(fileSchema, at),
      );
      throw new UserInputError(`claims file ${path}: ${message}`);
    }
    return parsed.data.claims.map((claim) => jsonClaim(claim, path));
  }
  if (![".ts", ".mts", ".js", ".mjs"].includes(extension)) {
    throw new UserInputError(`--claims ${path}: expected a .json, .ts, .mts, .js or .mjs file.`);
  }
  let namespace: { default?: unknown };
  try {
    namespace = await importUserModule(absolute);
  } catch (error) {
    throw new UserInputError(
      `claims file ${path} cannot be loaded: ${loadErrorMessage(error, absolute)}`,
    );
  }
  const exported = namespace.default;
  if (exported === undefined) {
    throw new UserInputError(
      `claims file ${path}: no default export (a claim or an array of claims).`,
    );
  }
  return (Array.isArray(exported) ? exported : [exported]).map((c) => checkModuleClaim(c, path));
}
