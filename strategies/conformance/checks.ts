/**
 * The checks of the conformance kit. Each runs on a fresh harness (the strategy set up,
 * thread t0 on CPU 0, t1 on CPU 1, t2 sharing CPU 0 with t0) and records what it finds.
 *
 * @packageDocumentation
 */
import { FAULT_NAMES, FAULT_NOT_PRESENT, OK, WRITE } from "../../core/machine/index.ts";
import type { Intent, Scope, StrategyModule } from "../api.ts";
import type { Harness, Live } from "./harness.ts";
import { type CheckKey, CONFORMANCE_REGION_PAGES, SCOPE_CHECK } from "./scenarios.ts";

export function primaryScope(module: StrategyModule): Scope | undefined {
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

export function checkSetup(h: Harness): void {
  const pages = Array.from({ length: CONFORMANCE_REGION_PAGES }, (_, i) => i);
  h.protectedAt(pages, ALL_CPUS, "after onSetup, before any mapping", "setup");
}

export function checkScope(h: Harness, scope: Scope): void {
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

export function checkNesting(h: Harness, scope: Scope): void {
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

/**
 * Thread t0 maps region pages 0-1 for writing on CPU 0, checks its accesses (`before`),
 * and CPU 0 switches to t2: the start of the context-switch and migration checks.
 */
function holdAndSwitchAway(h: Harness, scope: Scope, check: CheckKey, before: string) {
  const [t0, , t2] = h.threads;
  const held = h.mapSome(t0, [0, 1], "write", scope, check);
  if (!held) return undefined;
  h.legit(0, held, before);
  h.switchTo(0, t2);
  return held;
}

export function checkContextSwitch(h: Harness, scope: Scope): void {
  const [t0, , t2] = h.threads;
  const held = holdAndSwitchAway(h, scope, "contextSwitch", "before the switch");
  if (!held) return;
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

export function checkMigration(h: Harness, scope: Scope): void {
  const [t0] = h.threads;
  const held = holdAndSwitchAway(h, scope, "migration", "before migration");
  if (!held) return;
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

export function checkCapacity(h: Harness, scope: Scope): void {
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

export function checkFault(h: Harness): void {
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

export function checkChurn(h: Harness, scope: Scope | undefined): void {
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
