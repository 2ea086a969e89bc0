/**
 * The conformance suite behind `pkslab check-plugin <file>`: drives any strategy on a small
 * machine directly (no workload) and checks what every strategy must honour:
 *
 * - legitimate accesses through its mappings never fault, on every scope it claims
 *   (from another CPU too for global and long-term mappings), and reach the mapped page;
 * - scopes it does not claim answer `unsupported` (or a mapping) and never throw;
 * - protection is in place after setup and is back after every unmap;
 * - nested mappings work and unmap in LIFO order;
 * - a mapping survives a context switch (with another thread mapping in between) and a
 *   migration (or the kernel refuses to migrate it);
 * - capacity limits answer `unsupported`, fault and churn hooks answer without throwing;
 * - every cycle is charged by the model: only declared cost parameters go through
 *   `context.charge`, the ledger's totals equal its per-parameter attribution plus the
 *   simulated waits, no parameter value is changed and none is added.
 *
 * Each check runs on a fresh machine for four region shapes (access-disable and
 * write-disable, physically contiguous and scattered), with the strategy created through
 * the same context construction as a comparison's runs (core/engine/context.ts). A
 * violation names the scenario, the hook and the operation that caused it.
 *
 * The kit, by concern: scenarios.ts (the region shapes, the named checks, the findings),
 * harness.ts (one machine with the strategy set up, and the tools to drive it), checks.ts
 * (the checks), costs.ts (the cost audit after each check), and this module (the entry
 * point, `checkPlugin`, and the report).
 *
 * @packageDocumentation
 */

import { resolveStrategyOptions } from "../../core/contract/strategy.ts";
import type { Arch } from "../../core/machine/params.ts";
import { type CostProfile, loadProfile } from "../../core/profile.ts";
import type { OptionValues, StrategyModule } from "../api.ts";
import { validateStrategyModule } from "../registry.ts";
import {
  checkCapacity,
  checkChurn,
  checkContextSwitch,
  checkFault,
  checkMigration,
  checkNesting,
  checkScope,
  checkSetup,
  primaryScope,
} from "./checks.ts";
import { auditCosts } from "./costs.ts";
import { Harness } from "./harness.ts";
import { CHECK_NAMES, type CheckKey, Findings, SCENARIOS } from "./scenarios.ts";

export { CONFORMANCE_REGION_PAGES } from "./scenarios.ts";

/** The result of one conformance check. */
export interface ConformanceCheck {
  readonly name: string;
  readonly passed: boolean;
  /** What was checked, or the violations (each naming the hook and operation). */
  readonly detail: string;
}

/** The result of `checkPlugin`. */
export interface ConformanceReport {
  readonly strategy: string;
  readonly passed: boolean;
  readonly checks: ConformanceCheck[];
}

export interface CheckPluginOptions {
  /** Strategy options to check with (defaults otherwise). */
  readonly options?: Readonly<Record<string, unknown>>;
  /** Cost profile (the default profile otherwise). */
  readonly profile?: CostProfile;
  /**
   * Architecture of the checked machine (default x86-64): a strategy that exists only on
   * another one (kmap-as-protection on x86-32-highmem) is checked there.
   */
  readonly arch?: Arch;
}

/**
 * Runs the conformance suite against a strategy module. Never throws for a misbehaving
 * strategy: every problem is a failed check whose detail names the hook and operation.
 */
export function checkPlugin(
  module: StrategyModule,
  config: CheckPluginOptions = {},
): ConformanceReport {
  const name =
    module && typeof module === "object" && typeof module.name === "string"
      ? module.name
      : "(unnamed)";
  let options: OptionValues;
  try {
    validateStrategyModule(module, name);
    // Resolved once, here, as the engine does: the strategy's create gets them parsed.
    options = resolveStrategyOptions(module, config.options ?? {});
  } catch (error) {
    return {
      strategy: name,
      passed: false,
      checks: [{ name: CHECK_NAMES.shape, passed: false, detail: (error as Error).message }],
    };
  }
  const profile = config.profile ?? loadProfile();
  const findings = new Findings();
  const primary = primaryScope(module);
  const plan: { check: CheckKey; run: (h: Harness) => void; needsScope?: boolean }[] = [
    { check: "setup", run: checkSetup },
    { check: "local", run: (h) => checkScope(h, "local") },
    { check: "global", run: (h) => checkScope(h, "global") },
    { check: "longTerm", run: (h) => checkScope(h, "long-term") },
    { check: "nesting", run: (h) => checkNesting(h, primary!), needsScope: true },
    { check: "contextSwitch", run: (h) => checkContextSwitch(h, primary!), needsScope: true },
    { check: "migration", run: (h) => checkMigration(h, primary!), needsScope: true },
    { check: "capacity", run: (h) => checkCapacity(h, primary!), needsScope: true },
    { check: "fault", run: checkFault },
    { check: "churn", run: (h) => checkChurn(h, primary) },
  ];
  let scenariosSetUp = 0;
  for (const { check, run, needsScope } of plan) {
    if (needsScope && !primary) {
      findings.note(check, "not applicable: the strategy claims no scope");
      continue;
    }
    for (const scenario of SCENARIOS) {
      const harness = new Harness(module, options, scenario, profile, findings, check, config.arch);
      if (harness.skipped) continue;
      if (check === "setup") scenariosSetUp++;
      try {
        run(harness);
      } catch (error) {
        // The model itself refused something the strategy did (e.g. an out-of-order
        // kunmap_local on the fixmap).
        findings.fail(
          check,
          `[${scenario.label}] the model refused an operation: ${(error as Error).message}`,
        );
      }
      auditCosts(harness);
    }
  }
  if (scenariosSetUp === 0) {
    findings.fail(
      "setup",
      "onSetup succeeded in no scenario (access/write-disable, contiguous/scattered, device memory)",
    );
  }

  const checks: ConformanceCheck[] = [{ name: CHECK_NAMES.shape, passed: true, detail: "ok" }];
  const order: CheckKey[] = [
    "setup",
    "local",
    "global",
    "longTerm",
    "restore",
    "nesting",
    "contextSwitch",
    "migration",
    "capacity",
    "fault",
    "churn",
    "costs",
  ];
  for (const key of order) {
    const violations = findings.violations.get(key) ?? [];
    const notes = [...(findings.notes.get(key) ?? [])];
    const count = findings.counts.get(key) ?? 0;
    let detail: string;
    if (violations.length > 0) {
      const shown = violations.slice(0, 6);
      detail =
        shown.join("\n") +
        (violations.length > shown.length
          ? `\n... and ${violations.length - shown.length} more`
          : "");
    } else if (key === "restore" && !module.restoresProtection) {
      detail = "not applicable: the strategy declares restoresProtection: false";
    } else if (key === "setup" && !module.restoresProtection) {
      detail = `set up in ${scenariosSetUp} of ${SCENARIOS.length} scenarios; protects nothing (restoresProtection: false)`;
    } else {
      const parts = [...notes];
      if (count > 0) parts.push(`${count} accesses checked`);
      if (key === "costs") parts.push("ledger totals match per-parameter attribution in every run");
      detail = parts.length > 0 ? parts.join("; ") : "ok";
    }
    checks.push({ name: CHECK_NAMES[key], passed: violations.length === 0, detail });
  }
  return { strategy: name, passed: checks.every((check) => check.passed), checks };
}

/** A plain-text rendering of a conformance report, for `pkslab check-plugin`. */
export function renderConformance(report: ConformanceReport): string {
  const lines = [`check-plugin ${report.strategy}: ${report.passed ? "PASS" : "FAIL"}`];
  for (const check of report.checks) {
    lines.push(`  ${check.passed ? "ok  " : "FAIL"}  ${check.name}`);
    for (const line of check.detail.split("\n")) lines.push(`        ${line}`);
  }
  return `${lines.join("\n")}\n`;
}
