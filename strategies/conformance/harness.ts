/**
 * The harness of the conformance kit: one fresh 4-CPU machine with the strategy created
 * through the context every run gets (core/engine/context.ts) and set up on a region of
 * the scenario's shape, and the tools the checks drive it with: mapping and unmapping
 * through the hooks, context switches, legitimate accesses that must succeed and
 * direct-map accesses that must fault. A hook that throws, and a charge the contract
 * forbids, are violations naming the scenario, the hook and the operation.
 *
 * @packageDocumentation
 */
import { createStrategyContext } from "../../core/engine/context.ts";
import { protectedRegion } from "../../core/engine/index.ts";
import {
  type AccessKind,
  DEFAULT_MACHINE,
  FAULT_NAMES,
  Machine,
  OK,
  READ,
  type Thread,
  WRITE,
} from "../../core/machine/index.ts";
import type { Arch } from "../../core/machine/params.ts";
import type { CostProfile } from "../../core/profile.ts";
import { Rng } from "../../core/rng.ts";
import { noteHook } from "../../core/watchdog.ts";
import type {
  Intent,
  Mapping,
  OptionValues,
  ProtectedRegion,
  Scope,
  StrategyHooks,
  StrategyModule,
} from "../api.ts";
import {
  type CheckKey,
  CONFORMANCE_REGION_PAGES,
  type Findings,
  SCENARIOS,
  type Scenario,
} from "./scenarios.ts";

export interface Live {
  readonly mapping: Mapping;
  readonly pfns: number[];
  readonly pages: number[];
  readonly intent: Intent;
  readonly scope: Scope;
  readonly label: string;
}

/** One fresh machine with the strategy set up on it, and the tools to drive it. */
export class Harness {
  readonly machine: Machine;
  readonly region: ProtectedRegion;
  readonly hooks: StrategyHooks | undefined;
  readonly module: StrategyModule;
  readonly scenario: Scenario;
  readonly findings: Findings;
  readonly check: CheckKey;
  readonly profile: CostProfile;
  /**
   * Cost parameters the ledger holds before the strategy exists: the profile's, and the
   * machine's own where its architecture has some (the HIGHMEM pkmap pool's).
   */
  readonly modelParameters: number;
  /** Set when setup did not succeed: the scenario is skipped. */
  skipped = false;
  threads: Thread[] = [];
  #operation = "create()";
  #threw = false;

  constructor(
    module: StrategyModule,
    options: OptionValues,
    scenario: Scenario,
    profile: CostProfile,
    findings: Findings,
    check: CheckKey,
    arch: Arch = "x86-64",
  ) {
    this.module = module;
    this.scenario = scenario;
    this.findings = findings;
    this.check = check;
    this.profile = profile;
    this.machine = new Machine(
      { ...DEFAULT_MACHINE, cpus: 4, memoryGiB: 4, ...(arch === "x86-64" ? {} : { arch }) },
      profile,
    );
    const machine = this.machine;
    this.modelParameters = machine.ledger.parameters.length;
    // Placed as a comparison's run places it.
    this.region = protectedRegion(
      machine,
      {
        pages: CONFORMANCE_REGION_PAGES,
        keyMode: scenario.keyMode,
        contiguous: scenario.contiguous,
        memory: scenario.device ? "device" : "ram",
      },
      Rng.derive(20220511, SCENARIOS.indexOf(scenario)),
    );
    machine.watch(this.region.pfns);
    const context = createStrategyContext(
      machine,
      this.region,
      module,
      options,
      ({ parameter, count, undeclared }) =>
        findings.fail(
          "costs",
          this.where(
            undeclared
              ? `charged undeclared cost parameter "${parameter}" (declare it in costs)`
              : `charged "${parameter}" ${count} times`,
          ),
        ),
    );
    this.hooks = this.call("create", "create(context)", () => module.create(context), "setup");
    if (!this.hooks) {
      this.skipped = true;
      return;
    }
    const setup = this.call(
      "onSetup",
      "onSetup(region)",
      () => this.hooks!.onSetup?.(this.region),
      "setup",
    );
    if (setup && setup.kind === "unsupported") {
      findings.note("setup", `[${scenario.label}] onSetup returned unsupported: ${setup.reason}`);
      this.skipped = true;
      return;
    }
    if (this.#threw) {
      this.skipped = true;
      return;
    }
    // Threads of the check: t0 on CPU 0, t1 on CPU 1, t2 shares CPU 0 with t0.
    this.threads = [machine.createThread(0), machine.createThread(1), machine.createThread(0)];
    this.switchTo(0, this.threads[0]);
    this.switchTo(1, this.threads[1]);
  }

  /** Prefixes a message with the scenario and the operation in progress. */
  where(message: string): string {
    return `[${this.scenario.label}] ${this.#operation}: ${message}`;
  }

  /** Runs a hook; a throw is a violation of the current check, naming the hook and operation. */
  call<T>(hook: string, operation: string, run: () => T, check = this.check): T | undefined {
    const previous = this.#operation;
    this.#operation = operation;
    // A watcher in another thread (check-plugin's timeout) can name the hook that hangs.
    noteHook(hook);
    try {
      return run();
    } catch (error) {
      this.#threw = true;
      const message = error instanceof Error ? error.message : String(error);
      this.findings.fail(
        check,
        `[${this.scenario.label}] ${operation}: ${hook} threw: ${message.split("\n")[0]}`,
      );
      return undefined;
    } finally {
      noteHook(undefined);
      this.#operation = previous;
    }
  }

  switchTo(cpu: number, next: Thread): void {
    const previous = this.machine.current[cpu];
    if (previous === next) return;
    this.machine.contextSwitch(cpu, next);
    this.call("onContextSwitch", `switch CPU ${cpu} to thread ${next.id}`, () =>
      this.hooks?.onContextSwitch?.(cpu, previous, next),
    );
  }

  /** Maps region pages; returns the live mapping, an unsupported reason, or undefined (threw). */
  map(thread: Thread, pages: number[], intent: Intent, scope: Scope): Live | string | undefined {
    const pfns = pages.map((page) => this.region.pfns[page]);
    const label = `onMap(${scope}, ${intent}, region pages ${describePages(pages)}) on CPU ${thread.cpu} by thread ${thread.id}`;
    const outcome = this.call("onMap", label, () =>
      this.hooks?.onMap
        ? this.hooks.onMap({ cpu: thread.cpu, thread, pfns, intent, scope, context: "sleepable" })
        : ({ kind: "unsupported", reason: "the strategy has no onMap hook" } as const),
    );
    if (!outcome) return undefined;
    if (outcome.kind === "unsupported") {
      if (typeof outcome.reason !== "string" || outcome.reason.length === 0) {
        this.findings.fail(
          this.check,
          `[${this.scenario.label}] ${label}: unsupported without a reason`,
        );
      }
      return outcome.reason || "(no reason)";
    }
    const mapping = outcome.value;
    if (!mapping || !Array.isArray(mapping.vpns) || mapping.vpns.length !== pfns.length) {
      this.findings.fail(
        this.check,
        `[${this.scenario.label}] ${label}: returned ${mapping?.vpns?.length ?? "no"} vpns for ${pfns.length} pages`,
      );
      return undefined;
    }
    return { mapping, pfns, pages, intent, scope, label };
  }

  /**
   * Maps `pages`, or only their first page when the strategy refuses the multi-page request
   * (allowed: a claimed scope must serve one-page requests, not every shape). A refused
   * one-page request is a violation of `check`.
   */
  mapSome(thread: Thread, pages: number[], intent: Intent, scope: Scope, check: CheckKey) {
    let live = this.map(thread, pages, intent, scope);
    if (typeof live === "string" && pages.length > 1) {
      this.findings.note(
        check,
        `a ${pages.length}-page ${scope} mapping was refused (${live}); checked with one page`,
      );
      live = this.map(thread, [pages[0]], intent, scope);
    }
    if (typeof live === "string") {
      this.findings.fail(
        check,
        `[${this.scenario.label}] a one-page ${scope} ${intent} mapping was refused: ${live}`,
      );
      return undefined;
    }
    return live;
  }

  unmap(thread: Thread, live: Live): void {
    const label = `onUnmap(${live.scope}, region pages ${describePages(live.pages)}) on CPU ${thread.cpu} by thread ${thread.id}`;
    const outcome = this.call("onUnmap", label, () =>
      this.hooks?.onUnmap?.({ cpu: thread.cpu, thread, mapping: live.mapping }),
    );
    if (outcome && outcome.kind === "unsupported") {
      this.findings.fail(
        this.check,
        `[${this.scenario.label}] ${label}: refused a LIFO unmap: ${outcome.reason}`,
      );
    }
  }

  /**
   * Legitimate accesses through `live` by the thread running on `cpu`: reads always,
   * writes for a write-intent mapping. Each must succeed and reach the mapped page.
   */
  legit(cpu: number, live: Live, why: string): void {
    const kinds: AccessKind[] = live.intent === "write" ? [READ, WRITE] : [READ];
    for (let i = 0; i < live.pfns.length; i++) {
      for (const kind of kinds) {
        const vpn = live.mapping.vpns[i];
        const fault = this.machine.access(cpu, vpn, kind);
        const what = kind === WRITE ? "write" : "read";
        this.findings.tally(this.check);
        if (fault !== OK) {
          this.findings.fail(
            this.check,
            `[${this.scenario.label}] ${live.label}, ${why}: ${what} of page ${i} through vpn ${vpn} on CPU ${cpu} faulted (${FAULT_NAMES[fault]})`,
          );
        } else if (this.machine.lastPfn !== live.pfns[i]) {
          this.findings.fail(
            this.check,
            `[${this.scenario.label}] ${live.label}, ${why}: ${what} of page ${i} through vpn ${vpn} on CPU ${cpu} reached pfn ${this.machine.lastPfn}, not ${live.pfns[i]}`,
          );
        }
      }
    }
  }

  /**
   * The direct-map addresses of `pages` are protected for the thread running on each of
   * `cpus`: writes fault, and reads too for an access-disable region.
   */
  protectedAt(pages: number[], cpus: number[], why: string, check: CheckKey = "restore"): void {
    if (!this.module.restoresProtection) return;
    const kinds: AccessKind[] =
      this.scenario.keyMode === "access-disable" ? [WRITE, READ] : [WRITE];
    for (const cpu of cpus) {
      for (const page of pages) {
        const pfn = this.region.pfns[page];
        for (const kind of kinds) {
          this.findings.tally(check);
          if (this.machine.access(cpu, pfn, kind) === OK) {
            this.findings.fail(
              check,
              `[${this.scenario.label}] ${why}: direct-map ${kind === WRITE ? "write" : "read"} of region page ${page} (pfn ${pfn}) on CPU ${cpu} succeeded`,
            );
          }
        }
      }
    }
  }
}

function describePages(pages: number[]): string {
  if (pages.length === 1) return String(pages[0]);
  return pages.every((page, i) => page === pages[0] + i)
    ? `${pages[0]}-${pages[pages.length - 1]}`
    : pages.join(",");
}
