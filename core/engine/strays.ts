/**
 * The stray injector: at each point of the stream where a stray may happen, each thread's
 * own schedule (its `strayRng`) draws whether one does, of which class, and at what; the
 * stray access is then made and its outcome classified against its target page. The
 * points, the draws and the targets follow the stream alone, so every strategy of a
 * workload meets the same strays (equal denominators).
 *
 * @packageDocumentation
 */
import { DEFAULT_STRAY_EVERY, parseStrayMix } from "../contract/stray.ts";
import type { StrayClass } from "../contract/workload.ts";
import { Ev } from "../ledger.ts";
import { FAULT_NOT_PRESENT, OK, READ, WRITE } from "../machine/index.ts";
import type { Rng } from "../rng.ts";
import { handleFault } from "./access.ts";
import type { LiveMapping, RunState, SimThread, Unmapped } from "./state.ts";

/** Unmaps per thread that cross-cpu-stale strays choose from. */
const RECENT_UNMAPS = 8;

/** The stray rate and mix: workload parameters (issue 4); the run's rate is the fallback. */
export function startStrays(run: RunState): void {
  const { spec } = run;
  const paramEvery = spec.workloadParams.stray_every;
  const strayEvery =
    typeof paramEvery === "number" ? paramEvery : (spec.strayEvery ?? DEFAULT_STRAY_EVERY);
  const paramMix = spec.workloadParams.stray_mix;
  run.strayMix = parseStrayMix(typeof paramMix === "string" ? paramMix : "all");
  run.strayProbability = strayEvery > 0 ? 1 / strayEvery : 0;
}

/**
 * A point of the stream where a stray may be injected: each legitimate page access (with
 * the mapping it goes through and the pages the stream mapped), each compute operation
 * and each page move. The same points for every strategy of a workload.
 */
export function strayPoint(
  run: RunState,
  cpu: number,
  sim: SimThread,
  through?: LiveMapping,
  intendedPfns?: readonly number[],
): void {
  if (run.strayProbability > 0 && sim.strayRng.chance(run.strayProbability)) {
    injectStray(run, cpu, sim, through, intendedPfns);
  }
}

/** Keeps a thread's last RECENT_UNMAPS unmaps for the unmap stray classes. */
export function rememberUnmap(sim: SimThread, gone: Unmapped): void {
  sim.unmapped.push(gone);
  if (sim.unmapped.length > RECENT_UNMAPS) sim.unmapped.shift();
}

/** A direct-map "mapping" going out of use: its pages through their direct addresses. */
export function rememberDirectUnmap(
  run: RunState,
  sim: SimThread,
  pfns: number[],
  cpu: number,
): void {
  rememberUnmap(sim, {
    vpns: pfns,
    pfns,
    cpu,
    users: [cpu],
    purges: run.ledger.events[Ev.vmap_purges],
  });
}

/** Tracks which region pages are protected while the workload moves them (xpfo-churn). */
export function setOwned(run: RunState, page: number, count: number, protect: boolean): void {
  if (!run.owned) {
    // First protect/release: from now on only pages given to protection are targets.
    const pages = run.region.pfns.length;
    run.owned = { list: new Int32Array(pages), position: new Int32Array(pages).fill(-1), size: 0 };
  }
  const owned = run.owned;
  for (let p = page; p < page + count; p++) {
    const at = owned.position[p];
    if (protect && at < 0) {
      owned.list[owned.size] = p;
      owned.position[p] = owned.size++;
    } else if (!protect && at >= 0) {
      const moved = owned.list[--owned.size];
      owned.list[at] = moved;
      owned.position[moved] = at;
      owned.position[p] = -1;
    }
  }
}

/** A protected region page to aim at (-1 when none is protected right now). */
function regionPfn(run: RunState, rng: Rng, sim: SimThread): number {
  const pfns = run.region.pfns;
  const owned = run.owned;
  // One draw whatever is protected right now, so the schedule does not depend on it.
  const u = rng.float();
  if (!owned) return pfns[Math.floor(u * pfns.length)];
  // While pages move in and out of protection, a stray needs a protected page. Whether it
  // has one is decided by the thread's own stream (the pages it gave to protection), not
  // by how the threads interleaved: the same strays for every strategy.
  if (sim.protectedPages <= 0 || owned.size === 0) return -1;
  return pfns[owned.list[Math.floor(u * owned.size)]];
}

/**
 * Injects one stray drawn from `sim`'s schedule, at a legitimate page access of
 * `through` (the mapping the stream accesses; undefined when the strategy refused it).
 * Every class applies at a page access except the two that need an earlier unmap by this
 * thread's stream; those count as not applicable, the same for every strategy. Targets
 * the strategy never mapped are reached through their direct-map addresses.
 */
function injectStray(
  run: RunState,
  cpu: number,
  sim: SimThread,
  through: LiveMapping | undefined,
  intendedPfns: readonly number[] | undefined,
): void {
  const { machine, counters, strayMix } = run;
  const rng = sim.strayRng;
  const cls =
    strayMix.length === 1 ? strayMix[0] : strayMix[Math.floor(rng.float() * strayMix.length)];
  const u = rng.float();
  // Window classes need the access's mapping; the unmap classes an unmap of an earlier
  // workload operation (within the first one, how soon a stream unmaps depends on how
  // the API lets it bracket). Both follow the stream alone.
  const needsWindow = cls === "window-same-cpu" || cls === "overflow";
  const needsUnmap = cls === "use-after-unmap" || cls === "cross-cpu-stale";
  if ((needsWindow && !intendedPfns) || (needsUnmap && sim.completed === 0)) {
    counters.strayNotApplicable++;
    return;
  }
  switch (cls) {
    case "wild-direct":
    case "stray-read": {
      const target = regionPfn(run, rng, sim);
      const from = Math.floor(u * machine.cpus);
      if (target < 0) {
        counters.strayNotApplicable++;
        return;
      }
      stray(run, cls, from, target, target, cls === "wild-direct");
      return;
    }
    case "window-same-cpu": {
      const target = regionPfn(run, rng, sim);
      if (target < 0) {
        counters.strayNotApplicable++;
        return;
      }
      stray(run, cls, cpu, target, target, true);
      return;
    }
    case "overflow": {
      // Just past the end of the range the stream maps here.
      const pfns = intendedPfns as readonly number[];
      const lastPfn = pfns[pfns.length - 1];
      const vpn = through ? through.mapping.vpns[through.mapping.vpns.length - 1] + 1 : lastPfn + 1;
      stray(run, cls, cpu, vpn, lastPfn + 1, true);
      return;
    }
    case "use-after-unmap": {
      const gone = sim.unmapped[sim.unmapped.length - 1];
      if (!gone) {
        counters.strayNotApplicable++;
        return;
      }
      const index = Math.floor(u * gone.vpns.length);
      stray(run, cls, gone.cpu, gone.vpns[index], gone.pfns[index], true, gone);
      return;
    }
    case "cross-cpu-stale": {
      // Any of the thread's recent unmaps: an alias another CPU may still cache.
      const gone = sim.unmapped[Math.floor(rng.float() * sim.unmapped.length)];
      if (!gone || machine.cpus < 2) {
        counters.strayNotApplicable++;
        return;
      }
      const others = gone.users.filter((user) => user !== gone.cpu);
      let from: number;
      if (others.length > 0) from = others[Math.floor(u * others.length)];
      else {
        from = Math.floor(u * (machine.cpus - 1));
        if (from >= gone.cpu) from++;
      }
      const index = Math.floor(rng.float() * gone.vpns.length);
      stray(run, cls, from, gone.vpns[index], gone.pfns[index], true, gone);
      return;
    }
  }
}

/** A stray access: not through the API, outcome classified against its target page. */
function stray(
  run: RunState,
  cls: StrayClass,
  cpu: number,
  vpn: number,
  targetPfn: number,
  write: boolean,
  unmapped?: Unmapped,
): void {
  const { machine, ledger, counters, hooks } = run;
  const outcome = run.coverage.get(cls)!;
  outcome.injected++;
  const throughStaleEntry = run.recordLimit > 0 && machine.staleTranslation(cpu, vpn);
  ledger.muted = true;
  const thread = machine.current[cpu];
  let fault = machine.access(cpu, vpn, write ? WRITE : READ);
  const faulted = fault !== OK;
  if (fault !== OK && fault !== FAULT_NOT_PRESENT && hooks.onFault) {
    // The kernel's fault handler runs for strays too: a relaxed PKS mode grants access.
    const resolution = handleFault(run, cpu, thread, vpn, write, fault);
    if (resolution === "retry") fault = machine.access(cpu, vpn, write ? WRITE : READ);
  }
  ledger.muted = false;
  if (faulted) {
    counters.faultedStrays++;
    outcome.faulted++;
  }
  if (faulted && write) {
    // Caught: the fault (an oops, or a relaxed mode's warning) names the CPU and caller.
    counters.caught++;
    // An oops reports every catch; a handler that lets the write through (PKS relaxed
    // mode) reports with WARN_ONCE, once per boot however many it catches.
    if (fault !== OK) counters.caughtOops++;
    else counters.caughtGranted++;
    const during = run.lastOpKind[cpu];
    const key = `${cpu}|${cls}|${during}`;
    const entry = run.catches.get(key);
    if (entry) entry.count++;
    else run.catches.set(key, { cpu, stray: cls, during, count: 1, firstTime: machine.now(cpu) });
  }
  const result =
    fault !== OK ? "blocked" : machine.lastPfn === targetPfn ? "corrupted" : "redirected";
  if (run.strayLog.length < run.recordLimit) {
    let windowOpen = false;
    for (const mapping of run.live.values()) {
      if (mapping.thread === thread) {
        windowOpen = true;
        break;
      }
    }
    run.strayLog.push({
      cls,
      cpu,
      time: machine.now(cpu),
      write,
      outcome: result,
      faulted,
      windowOpen,
      purgesSinceUnmap: unmapped ? ledger.events[Ev.vmap_purges] - unmapped.purges : undefined,
      throughStaleEntry,
    });
  }
  if (result === "blocked") outcome.blocked++;
  else if (result === "corrupted") outcome.corrupted++;
  else {
    outcome.redirected++;
    if (write) {
      ledger.recordUnintendedWrite({
        cpu,
        time: machine.now(cpu),
        pfn: machine.lastPfn,
        intendedPfn: targetPfn,
        operation: `stray ${cls}`,
      });
    }
  }
}
