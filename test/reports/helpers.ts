import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import Ajv2020 from "ajv/dist/2020.js";
import { expect } from "vitest";
import { parseResults, type ResultDocument } from "../../reports/results/results.ts";

/** Where golden files live. Update them only deliberately: UPDATE_GOLDEN=1 npx vitest run test/reports */
export const GOLDEN_DIR = join(import.meta.dirname, "..", "golden");

/** The small fixed configuration of the golden tests: 2 strategies x 2 workloads, 2 seeds, 4 CPUs. */
export const SMALL_ARGS = [
  "--strategies",
  "unprotected,pks-kmap",
  "--workloads",
  "pmem-dax,btrfs-metadata",
  "--seeds",
  "2",
  "--cpus",
  "4",
] as const;

/** The fixed `context.run` of golden documents (the only non-deterministic block). */
export const GOLDEN_RUN = { date: "2026-01-01T00:00:00.000Z", host: "golden", node: "v20.0.0" };

/** A copy of a document with context.run fixed and the git commit dropped. */
export function normalizeRun(doc: ResultDocument): ResultDocument {
  const { gitCommit: _dropped, ...context } = doc.context;
  return { ...doc, context: { ...context, run: GOLDEN_RUN } };
}

/** Compares `actual` with a golden file; writes the file instead when UPDATE_GOLDEN=1. */
export function expectGolden(name: string, actual: string): void {
  const path = join(GOLDEN_DIR, name);
  if (process.env.UPDATE_GOLDEN === "1") {
    writeFileSync(path, actual);
    return;
  }
  let expected: string;
  try {
    expected = readFileSync(path, "utf8");
  } catch {
    throw new Error(`golden file ${path} is missing; create it deliberately with UPDATE_GOLDEN=1`);
  }
  expect(actual, `output differs from ${name} (UPDATE_GOLDEN=1 to accept deliberately)`).toBe(
    expected,
  );
}

const validateSchema = new Ajv2020({ allErrors: true, strict: false }).compile(
  JSON.parse(
    readFileSync(
      join(import.meta.dirname, "..", "..", "reports", "results", "schema", "results.schema.json"),
      "utf8",
    ),
  ),
);

/** Whether `data` conforms to the shipped JSON Schema of result documents (ajv). */
export function matchesResultSchema(data: unknown): boolean {
  return validateSchema(data) === true;
}

/** A page opened offline in Chromium, with what it tried to fetch and what it logged. */
export interface OfflinePage {
  readonly page: import("playwright-core").Page;
  /** URLs other than file: that the page requested (all refused). */
  readonly external: string[];
  /** Console errors and uncaught page errors. */
  readonly errors: string[];
}

/**
 * Opens a local HTML file in the Chromium of @sparticuz/chromium (through playwright-core)
 * with every non-file request refused, runs `check` on it, and closes the browser.
 */
export async function withOfflinePage(
  file: string,
  check: (opened: OfflinePage) => Promise<void>,
): Promise<void> {
  const { default: chromium } = await import("@sparticuz/chromium");
  const { chromium: playwright } = await import("playwright-core");
  const browser = await playwright.launch({
    executablePath: await chromium.executablePath(),
    args: chromium.args,
    headless: true,
  });
  try {
    const page = await browser.newPage();
    const external: string[] = [];
    const errors: string[] = [];
    await page.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith("file:")) return route.continue();
      external.push(url);
      return route.abort();
    });
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(pathToFileURL(file).href);
    await check({ page, external, errors });
  } finally {
    await browser.close();
  }
}

/**
 * Parses JSON text the tool wrote as a result document, checking it against the shipped
 * JSON Schema (ajv) and the zod schema.
 */
export function validResults(text: string, origin = "output"): ResultDocument {
  const data = JSON.parse(text);
  const ok = validateSchema(data);
  expect(ok, `${origin}: ${JSON.stringify(validateSchema.errors?.slice(0, 3))}`).toBe(true);
  return parseResults(data, origin);
}
