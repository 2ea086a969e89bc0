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
 * write-disable, physically contiguous and scattered). A violation names the scenario,
 * the hook and the operation that caused it.
 */

import { resolveStrategyOptions } from "../core/contract/strategy.ts";
import { placeRegion } from "../core/engine/index.ts";
import type { VmallocOptions } from "../core/kernel/vmalloc.ts";
import { Vmalloc } from "../core/kernel/vmalloc.ts";
import { Cat, COST_CATEGORIES } from "../core/ledger.ts";
import {
  type AccessKind,
  DEFAULT_MACHINE,
  FAULT_NAMES,
  FAULT_NOT_PRESENT,
  Machine,
  OK,
  READ,
  type Thread,
  WRITE,
} from "../core/machine/index.ts";
import { type CostProfile, loadProfile } from "../core/profile.ts";
import { Rng } from "../core/rng.ts";
import { noteHook } from "../core/watchdog.ts";
import type {
  Intent,
  KeyMode,
  Mapping,
  OptionValues,
  ProtectedRegion,
  Scope,
  StrategyContext,
  StrategyHooks,
  StrategyModule,
} from "./api.ts";
import { validateStrategyModule } from "./registry.ts";

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
}

interface Scenario {
  readonly keyMode: KeyMode;
  readonly contiguous: boolean;
  readonly label: string;
}

const SCENARIOS: readonly Scenario[] = [
  { keyMode: "access-disable", contiguous: true, label: "access-disable, contiguous" },
  { keyMode: "access-disable", contiguous: false, label: "access-disable, scattered" },
  { keyMode: "write-disable", contiguous: true, label: "write-disable, contiguous" },
  { keyMode: "write-disable", contiguous: false, label: "write-disable, scattered" },
];

/** Pages in the conformance region: enough for 16 nested mappings. */
export const CONFORMANCE_REGION_PAGES = 16;

const CHECK_NAMES = {
  shape: "module shape and options",
  setup: "setup protects the region",
  local: "legitimate accesses never fault (local)",
  global: "legitimate accesses never fault (global)",
  longTerm: "legitimate accesses never fault (long-term)",
  restore: "protection is back after unmap",
  nesting: "nesting and LIFO unmap",
  contextSwitch: "state survives context switch",
  migration: "state survives migration",
  capacity: "limits answer unsupported, never throw",
  fault: "fault hook answers without throwing",
  churn: "page churn hooks",
  costs: "every cycle is charged by the model",
} as const;
type CheckKey = keyof typeof CHECK_NAMES;

const SCOPE_CHECK: Record<Scope, CheckKey> = {
  local: "local",
  global: "global",
  "long-term": "longTerm",
};

/** Collects violations and notes per check, across scenarios. */
class Findings {
  readonly violations = new Map<CheckKey, string[]>();
  readonly notes = new Map<CheckKey, Set<string>>();
  readonly counts = new Map<CheckKey, number>();

  fail(check: CheckKey, message: string): void {
    const list = this.violations.get(check) ?? [];
    if (list.includes(message)) return;
    list.push(message);
    this.violations.set(check, list);
  }

  note(check: CheckKey, message: string): void {
    const set = this.notes.get(check) ?? new Set();
    set.add(message);
    this.notes.set(check, set);
  }

  tally(check: CheckKey, n = 1): void {
    this.counts.set(check, (this.counts.get(check) ?? 0) + n);
  }
}

interface Live {
  readonly mapping: Mapping;
  readonly pfns: number[];
  readonly pages: number[];
  readonly intent: Intent;
  readonly scope: Scope;
  readonly label: string;
}

/** One fresh machine with the strategy set up on it, and the tools to drive it. */
class Harness {
  readonly machine: Machine;
  readonly region: ProtectedRegion;
  readonly hooks: StrategyHooks | undefined;
  readonly module: StrategyModule;
  readonly scenario: Scenario;
  readonly findings: Findings;
  readonly check: CheckKey;
  readonly profile: CostProfile;
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
  ) {
    this.module = module;
    this.scenario = scenario;
    this.findings = findings;
    this.check = check;
    this.profile = profile;
    this.machine = new Machine({ ...DEFAULT_MACHINE, cpus: 4, memoryGiB: 4 }, profile);
    const machine = this.machine;
    this.region = {
      pfns: placeRegion(
        CONFORMANCE_REGION_PAGES,
        scenario.contiguous,
        machine.pages,
        Rng.derive(20220511, SCENARIOS.indexOf(scenario)),
      ),
      keyMode: scenario.keyMode,
      contiguous: scenario.contiguous,
    };
    machine.watch(this.region.pfns);
    const ledger = machine.ledger;
    const costIds = new Map<string, number>();
    for (const [name, cost] of Object.entries(module.costs)) {
      costIds.set(
        name,
        ledger.registerParameter(name, `strategy:${module.name}`, {
          value: cost.value,
          unit: cost.unit,
          confidence: cost.confidence,
          source: cost.source,
          range: cost.range ? [cost.range[0], cost.range[1]] : undefined,
        }),
      );
    }
    let vmalloc: Vmalloc | undefined;
    const context: StrategyContext = {
      machine,
      region: this.region,
      options,
      vmalloc: (vmallocOptions: VmallocOptions) => {
        vmalloc ??= new Vmalloc(machine, vmallocOptions);
        return vmalloc;
      },
      charge: (cpu, parameter, count = 1) => {
        const id = costIds.get(parameter);
        if (id === undefined) {
          findings.fail(
            "costs",
            this.where(`charged undeclared cost parameter "${parameter}" (declare it in costs)`),
          );
          return;
        }
        if (!Number.isFinite(count) || count < 0) {
          findings.fail("costs", this.where(`charged "${parameter}" ${count} times`));
          return;
        }
        ledger.charge(cpu, Cat.strategy, id, count);
      },
    };
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

  /** Cost accounting audit: everything the ledger holds must come from the model. */
  auditCosts(): void {
    const { ledger } = this.machine;
    const fail = (message: string) =>
      this.findings.fail(
        "costs",
        `[${this.scenario.label}] during "${CHECK_NAMES[this.check]}": ${message}`,
      );
    const expected =
      Object.keys(this.profile.parameters).length + Object.keys(this.module.costs).length;
    if (ledger.parameters.length !== expected) {
      const extra = ledger.parameters.slice(expected).map((source) => source.name);
      fail(`registered cost parameters outside its metadata: ${extra.join(", ")}`);
    }
    ledger.parameters.forEach((source, id) => {
      if (ledger.parameterValues[id] !== source.parameter.value) {
        fail(
          `changed the value of cost parameter ${source.name} from ${source.parameter.value} to ${ledger.parameterValues[id]}`,
        );
      }
    });
    if (ledger.muted) fail("left the ledger muted");
    const total = ledger.totalCycles();
    const byCategory = ledger.byCategory();
    const categorySum = COST_CATEGORIES.reduce((sum, name) => sum + byCategory[name], 0);
    const attributed = ledger.bySource().reduce((sum, row) => sum + row.cycles, 0);
    const waits = byCategory.ipi_wait + byCategory.lock_spin;
    const tolerance = 1e-6 * Math.max(1, total);
    if (Math.abs(categorySum - total) > tolerance) {
      fail(`ledger total ${total} differs from the sum of its categories ${categorySum}`);
    }
    if (byCategory.work !== 0) {
      fail(`charged ${byCategory.work} cycles as workload "work" (only workloads do that)`);
    }
    if (Math.abs(total - waits - attributed) > tolerance) {
      fail(
        `${total - waits - attributed} cycles in the ledger come from no named parameter (written directly, not charged through a primitive or context.charge)`,
      );
    }
    const strategyAttributed = ledger
      .bySource()
      .filter((row) => row.owner === `strategy:${this.module.name}`)
      .reduce((sum, row) => sum + row.cycles, 0);
    if (Math.abs(byCategory.strategy - strategyAttributed) > tolerance) {
      fail(
        `the strategy category holds ${byCategory.strategy} cycles but its declared parameters account for ${strategyAttributed}`,
      );
    }
    const categories = COST_CATEGORIES.length;
    for (let cpu = 0; cpu < this.machine.cpus; cpu++) {
      let charged = 0;
      for (let c = 0; c < categories; c++) charged += ledger.cycles[cpu * categories + c];
      if (ledger.clock[cpu] + tolerance < charged) {
        fail(
          `CPU ${cpu}'s clock (${ledger.clock[cpu]}) is behind the cycles charged to it (${charged})`,
        );
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

function primaryScope(module: StrategyModule): Scope | undefined {
  if (module.supports.local) return "local";
  if (module.supports.global) return "global";
  if (module.supports.longTerm) return "long-term";
  return undefined;
}

function claims(module: StrategyModule, scope: Scope): boolean {
  return scope === "local"
    ? module.supports.local
    : scope === "global"
      ? module.supports.global
      : module.supports.longTerm;
}

const ALL_CPUS = [0, 1, 2, 3];

// ---------------------------------------------------------------------------------------
// The checks. Each runs on a fresh harness (strategy set up, t0 on CPU 0, t1 on CPU 1).

function checkSetup(h: Harness): void {
  const pages = Array.from({ length: CONFORMANCE_REGION_PAGES }, (_, i) => i);
  h.protectedAt(pages, ALL_CPUS, "after onSetup, before any mapping", "setup");
}

function checkScope(h: Harness, scope: Scope): void {
  const check = SCOPE_CHECK[scope];
  const [t0, t1] = h.threads;
  const claimed = claims(h.module, scope);
  const cases: { pages: number[]; intent: Intent }[] = [
    { pages: [0], intent: "write" },
    { pages: [1, 2, 3], intent: "write" },
    { pages: [4], intent: "read" },
    { pages: [5, 6], intent: "read" },
  ];
  for (const { pages, intent } of cases) {
    const live = h.map(t0, pages, intent, scope);
    if (live === undefined) continue;
    if (typeof live === "string") {
      if (claimed && pages.length === 1) {
        h.findings.fail(
          check,
          `[${h.scenario.label}] claims ${scope} support but refused a one-page ${intent} mapping: ${live}`,
        );
      } else if (claimed) {
        h.findings.note(check, `${pages.length}-page ${scope} mappings may be refused: ${live}`);
      } else {
        h.findings.note(check, `not claimed; onMap answers unsupported: ${live}`);
      }
      continue;
    }
    if (!claimed) {
      h.findings.note(check, "not claimed; onMap returns a mapping (its accesses are not checked)");
      h.unmap(t0, live);
      continue;
    }
    h.legit(0, live, "by the mapping thread");
    if (scope !== "local") h.legit(1, live, "from another CPU");
    // Global and long-term mappings may be released by another thread.
    const releaser = scope !== "local" && intent === "read" ? t1 : t0;
    h.unmap(releaser, live);
    h.protectedAt(pages, [0, 1], `after ${live.label} was unmapped`);
  }
}

function checkNesting(h: Harness, scope: Scope): void {
  const [t0] = h.threads;
  const stack: Live[] = [];
  for (const [pages, intent] of [
    [[0, 1], "write"],
    [[2, 3], "write"],
    [[0], "write"],
    [[4], "read"],
  ] as const) {
    const live = h.mapSome(t0, [...pages], intent, scope, "nesting");
    if (live) stack.push(live);
  }
  for (const live of stack) h.legit(0, live, "while nested");
  while (stack.length > 0) {
    const top = stack.pop()!;
    h.unmap(t0, top);
    for (const live of stack) h.legit(0, live, `after the inner ${top.label} was unmapped`);
  }
  h.protectedAt([0, 1, 2, 3, 4], [0, 1], "after every nested mapping was unmapped (LIFO)");
}

function checkContextSwitch(h: Harness, scope: Scope): void {
  const [t0, , t2] = h.threads;
  const held = h.mapSome(t0, [0, 1], "write", scope, "contextSwitch");
  if (!held) return;
  h.legit(0, held, "before the switch");
  h.switchTo(0, t2);
  const other = h.mapSome(t2, [2], "write", scope, "contextSwitch");
  if (other) {
    h.legit(0, other, "by another thread while the first holds its mapping");
    h.unmap(t2, other);
  }
  h.switchTo(0, t0);
  h.legit(0, held, "after switching away and back");
  h.switchTo(0, t2);
  h.switchTo(0, t0);
  h.legit(0, held, "after a second round trip");
  h.unmap(t0, held);
  h.protectedAt([0, 1, 2], [0, 1], "after the switched mapping was unmapped");
}

function checkMigration(h: Harness, scope: Scope): void {
  const [t0, , t2] = h.threads;
  const held = h.mapSome(t0, [0, 1], "write", scope, "migration");
  if (!held) return;
  h.legit(0, held, "before migration");
  h.switchTo(0, t2);
  if (h.machine.migrate(t0, 2)) {
    h.findings.note("migration", "migrated while holding a mapping");
    h.call("onMigrate", "onMigrate(thread 0 → CPU 2)", () => h.hooks?.onMigrate?.(t0, 0, 2));
    h.switchTo(2, t0);
    h.legit(2, held, "after migrating from CPU 0 to CPU 2");
    h.unmap(t0, held);
    h.protectedAt([0, 1], [2, 0], "after the migrated mapping was unmapped");
  } else {
    h.findings.note("migration", "the kernel refuses to migrate a thread holding a mapping");
    h.switchTo(0, t0);
    h.legit(0, held, "after a refused migration");
    h.unmap(t0, held);
    h.protectedAt([0, 1], [0], "after unmap");
  }
}

function checkCapacity(h: Harness, scope: Scope): void {
  const [t0] = h.threads;
  const held: Live[] = [];
  let refused = 0;
  for (let page = 0; page < CONFORMANCE_REGION_PAGES; page++) {
    const live = h.map(t0, [page], "write", scope);
    if (typeof live === "object") {
      held.push(live);
      h.legit(0, live, `as nested mapping ${held.length}`);
    } else if (typeof live === "string") refused++;
  }
  while (held.length > 0) h.unmap(t0, held.pop()!);
  const all = Array.from({ length: CONFORMANCE_REGION_PAGES }, (_, i) => i);
  const big = h.map(t0, all, "write", scope);
  if (typeof big === "object") {
    h.legit(0, big, "one mapping of the whole region");
    h.unmap(t0, big);
  } else if (typeof big === "string") refused++;
  h.findings.note(
    "capacity",
    refused > 0
      ? `refuses some of ${CONFORMANCE_REGION_PAGES} nested maps or one ${CONFORMANCE_REGION_PAGES}-page map`
      : `serves ${CONFORMANCE_REGION_PAGES} nested maps and one ${CONFORMANCE_REGION_PAGES}-page map`,
  );
  h.protectedAt(all, [0], "after the capacity test unmapped everything", "capacity");
}

function checkFault(h: Harness): void {
  const hooks = h.hooks;
  if (!hooks?.onFault) {
    h.findings.note("fault", "no onFault hook: faults oops");
    return;
  }
  const machine = h.machine;
  const pfn = h.region.pfns[0];
  const fault = machine.access(1, pfn, WRITE);
  if (fault === OK || fault === FAULT_NOT_PRESENT) {
    h.findings.note("fault", "a stray direct-map write raised no fault the hook handles");
    return;
  }
  machine.exceptionEnter(1);
  const resolution = h.call("onFault", "onFault(stray direct-map write on CPU 1)", () =>
    hooks.onFault!({
      cpu: 1,
      thread: machine.current[1],
      vpn: pfn,
      write: true,
      reason: FAULT_NAMES[fault] as "pkey",
    }),
  );
  machine.exceptionExit(1);
  if (resolution !== undefined && resolution !== "retry" && resolution !== "oops") {
    h.findings.fail(
      "fault",
      `[${h.scenario.label}] onFault returned ${JSON.stringify(resolution)}, not "retry" or "oops"`,
    );
  } else if (resolution) {
    h.findings.note("fault", `a stray write's fault resolves to ${resolution}`);
  }
}

function checkChurn(h: Harness, scope: Scope | undefined): void {
  const hooks = h.hooks;
  if (!hooks?.onPagesRelease && !hooks?.onPagesProtect) {
    h.findings.note("churn", "no churn hooks");
    return;
  }
  const pages = [0, 1];
  const pfns = pages.map((page) => h.region.pfns[page]);
  const released = h.call("onPagesRelease", "onPagesRelease(region pages 0-1) on CPU 0", () =>
    hooks.onPagesRelease?.(0, pfns),
  );
  const protectedAgain = h.call("onPagesProtect", "onPagesProtect(region pages 0-1) on CPU 0", () =>
    hooks.onPagesProtect?.(0, pfns),
  );
  for (const outcome of [released, protectedAgain]) {
    if (outcome?.kind === "unsupported") h.findings.note("churn", `unsupported: ${outcome.reason}`);
  }
  if (released?.kind === "ok" && protectedAgain?.kind === "ok") {
    h.protectedAt(pages, ALL_CPUS, "after pages were released and protected again", "churn");
    if (scope) {
      const live = h.map(h.threads[0], pages, "write", scope);
      if (typeof live === "object") {
        h.legit(0, live, "after churn");
        h.unmap(h.threads[0], live);
      }
    }
  }
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
      const harness = new Harness(module, options, scenario, profile, findings, check);
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
      harness.auditCosts();
    }
  }
  if (scenariosSetUp === 0) {
    findings.fail(
      "setup",
      "onSetup succeeded in no scenario (access/write-disable, contiguous/scattered)",
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
