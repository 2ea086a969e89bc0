/**
 * Threads on CPUs: workqueues and each CPU's kworker, the context switch (__switch_to: the
 * kmap_local slots out and in, switch_mm, the incoming PKRS through the cache) and
 * migration between run queues, with the invariant the switch checks.
 */
import { Cat, Ev } from "../ledger.ts";
import { Kmap } from "./kmap.ts";
import type { Thread } from "./state.ts";

/** Layer 10 of the machine: workqueues, kworkers, context switch and migration. */
export class Sched extends Kmap {
  // Workqueues: schedule_work() on a bound workqueue (system_wq) queues the item on the
  // local CPU's kworker, which runs it later as a thread of its own (kernel/workqueue.c
  // queue_work() with WORK_CPU_UNBOUND -> the local CPU's pool). Queuing an item that is
  // already pending does nothing (test_and_set_bit(WORK_STRUCT_PENDING_BIT)). The engine
  // runs the queued items at that CPU's next operation boundary, after switching to the
  // kworker, so the work's cycles are the kworker's, not the caller's operation's.

  readonly #work: Map<string, () => void>[] = [];
  readonly #kworkers: (Thread | undefined)[] = [];

  /** schedule_work(): queue `work` (named, so a pending item is not queued twice) on `cpu`. */
  queueWork(cpu: number, name: string, work: () => void): boolean {
    let queue = this.#work[cpu];
    if (!queue) {
      queue = new Map();
      this.#work[cpu] = queue;
    }
    if (queue.has(name)) return false;
    queue.set(name, work);
    return true;
  }

  /** Whether `cpu`'s kworker has work pending. */
  hasQueuedWork(cpu: number): boolean {
    const queue = this.#work[cpu];
    return queue !== undefined && queue.size > 0;
  }

  /** The kworker thread of `cpu` (created on first use, pinned to that CPU). */
  kworker(cpu: number): Thread {
    let thread = this.#kworkers[cpu];
    if (!thread) {
      thread = this.createThread(cpu);
      thread.migrateDisable = 1; // a per-CPU kworker never migrates
      this.#kworkers[cpu] = thread;
    }
    return thread;
  }

  /** Runs every item pending on `cpu` (in queuing order); returns how many ran. */
  runQueuedWork(cpu: number): number {
    const queue = this.#work[cpu];
    if (!queue || queue.size === 0) return 0;
    let ran = 0;
    while (queue.size > 0) {
      const [name, work] = queue.entries().next().value as [string, () => void];
      queue.delete(name);
      work();
      ran++;
    }
    return ran;
  }

  /**
   * Invariant violations the machine saw (only collected when `checkInvariants` is on):
   * e.g. a CPU whose PKRS differs from its outgoing thread's saved value at a switch, which
   * means something wrote the MSR behind the thread's back.
   */
  checkInvariants = false;
  readonly violations: string[] = [];

  /**
   * Switches `cpu` to `next` (__switch_to): the outgoing thread's kmap_local slots are
   * cleared with one local INVLPG each (__kmap_local_sched_out), the incoming thread's PKRS
   * is loaded through the cache (x86_pkrs_load) and its slots re-installed
   * (__kmap_local_sched_in, PTE writes, no flush).
   */
  contextSwitch(cpu: number, next: Thread): void {
    const previous = this.current[cpu];
    if (previous === next) return;
    if (next.cpu !== cpu) throw new Error(`thread ${next.id} is not on CPU ${cpu}`);
    if (
      this.checkInvariants &&
      this.cr4Pks[cpu] &&
      previous.exceptionPkrs.length === 0 &&
      this.pkrs[cpu] !== previous.pkrs
    ) {
      this.violations.push(
        `context switch on CPU ${cpu}: PKRS ${this.pkrs[cpu].toString(16)} differs from thread ${previous.id}'s saved ${previous.pkrs.toString(16)}`,
      );
    }
    this.ledger.count(Ev.context_switches);
    this.ledger.charge(cpu, Cat.context_switch, this.param.context_switch_cycles);
    for (let slot = 0; slot < previous.kmapDepth; slot++) {
      const vpn = this.fixmapVpn(cpu, slot);
      this.clearKernelPte(cpu, vpn);
      this.invlpg(cpu, vpn);
    }
    this.current[cpu] = next;
    this.switchMm(cpu, next);
    if (this.cr4Pks[cpu]) this.writePkrs(cpu, next.pkrs);
    for (let slot = 0; slot < next.kmapDepth; slot++) {
      this.setKernelPte(cpu, this.fixmapVpn(cpu, slot), next.kmapPfn[slot], next.kmapPte[slot]);
    }
  }

  /**
   * Moves a thread that is not running to another CPU's run queue. Refused (returns false)
   * while the thread has migration disabled (kmap_local, kmap_atomic).
   */
  migrate(thread: Thread, toCpu: number): boolean {
    if (toCpu < 0 || toCpu >= this.cpus) throw new RangeError(`no CPU ${toCpu}`);
    if (this.current[thread.cpu] === thread) throw new Error("migrate: thread is running");
    if (thread.migrateDisable > 0) {
      this.ledger.count(Ev.migrations_deferred);
      return false;
    }
    this.ledger.count(Ev.migrations);
    this.ledger.charge(toCpu, Cat.migration, this.param.migration_cycles);
    thread.cpu = toCpu;
    return true;
  }
}
