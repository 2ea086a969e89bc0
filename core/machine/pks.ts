/**
 * PKS on each CPU: IA32_PKRS and the kernel's software around it (Weiny v10 PKS core):
 * pks_setup(), WRMSR through the per-CPU pkrs_cache, a thread's saved PKRS, and the PKRS
 * saved and restored on kernel entry and exit (exceptions, interrupts; system calls leave
 * it alone). The MSR's bit layout is in pkrs.ts.
 */
import { Cat, Ev } from "../ledger.ts";
import { Exposure } from "./exposure.ts";
import type { Thread } from "./state.ts";

/** Layer 6 of the machine: PKRS writes and the kernel entry and exit paths around them. */
export class Pks extends Exposure {
  /**
   * pks_setup() on every CPU: CR4.PKS on, PKRS = PKS_INIT_VALUE, and INIT_THREAD's
   * thread.pkrs for every thread. Boot-time work, not charged.
   */
  enablePks(initValue: number): void {
    if (!this.hasPks) throw new Error(`enablePks: a ${this.arch} machine has no PKS`);
    this.pksInitValue = initValue >>> 0;
    for (let cpu = 0; cpu < this.cpus; cpu++) {
      this.accrueExposure(cpu);
      this.cr4Pks[cpu] = 1;
      this.pkrs[cpu] = this.pksInitValue;
      this.pkrsCache[cpu] = this.pksInitValue;
    }
    for (const thread of this.threads) thread.pkrs = this.pksInitValue;
  }

  /**
   * WRMSR(IA32_PKRS). With `useCache`, skips the write when the per-CPU pkrs_cache already
   * holds `value` (pks_write_pkrs). No TLB flush: the next access uses the new rights.
   */
  writePkrs(cpu: number, value: number, useCache = this.usePkrsCache): void {
    const ledger = this.ledger;
    value >>>= 0;
    if (useCache) {
      ledger.charge(cpu, Cat.pkrs_write, this.param.pkrs_cache_check_cycles);
      if (this.pkrsCache[cpu] === value) {
        ledger.count(Ev.pkrs_writes_skipped);
        return;
      }
    }
    this.accrueExposure(cpu);
    this.pkrs[cpu] = value;
    this.pkrsCache[cpu] = value;
    ledger.count(Ev.pkrs_writes);
    ledger.charge(cpu, Cat.pkrs_write, this.param.wrmsr_pkrs_cycles);
  }

  /**
   * pks_update_protection(): sets the thread's saved PKRS and, when the thread is running,
   * writes the MSR through the cache. Only affects that thread on that CPU.
   */
  setThreadPkrs(thread: Thread, value: number, useCache = this.usePkrsCache): void {
    thread.pkrs = value >>> 0;
    if (this.current[thread.cpu] === thread && this.cr4Pks[thread.cpu]) {
      this.writePkrs(thread.cpu, thread.pkrs, useCache);
    }
  }

  /**
   * Exception entry on `cpu`: #PF entry cost; with PKS on, the interrupted thread's PKRS is
   * saved in the auxiliary pt_regs and PKS_INIT_VALUE is loaded, so handlers run protected.
   */
  exceptionEnter(cpu: number, useCache = this.usePkrsCache): void {
    this.ledger.count(Ev.faults);
    this.ledger.charge(cpu, Cat.fault, this.param.fault_entry_exit_cycles);
    this.#saveAndLoadInitPkrs(cpu, useCache);
  }

  /**
   * Interrupt entry (irqentry_enter) on `cpu` by a workload's kernel-entry operation: the
   * entry/exit cost, then as for an exception the interrupted PKRS is saved and
   * PKS_INIT_VALUE loaded through pkrs_cache (skipped when it already holds it).
   */
  interruptEnter(cpu: number, useCache = this.usePkrsCache): void {
    this.ledger.count(Ev.interrupts);
    this.ledger.charge(cpu, Cat.entry, this.param.irq_entry_exit_cycles);
    this.#saveAndLoadInitPkrs(cpu, useCache);
  }

  /**
   * The idtentry half both entries share: the interrupted thread's PKRS saved (the
   * auxiliary pt_regs), then PKS_INIT_VALUE loaded when PKS is on.
   */
  #saveAndLoadInitPkrs(cpu: number, useCache: boolean): void {
    const thread = this.current[cpu];
    thread.exceptionPkrs.push(thread.pkrs);
    if (this.cr4Pks[cpu]) this.writePkrs(cpu, this.pksInitValue, useCache);
  }

  /**
   * System-call entry and exit (entry_SYSCALL_64 ... sysretq), charged once for the pair.
   * v10 saves PKRS only on the idtentry (exception/interrupt) paths: a system call runs
   * with the task's PKRS, which is already the thread's own value.
   */
  syscallEnter(cpu: number): void {
    this.ledger.count(Ev.syscalls);
    this.ledger.charge(cpu, Cat.entry, this.param.syscall_entry_exit_cycles);
  }

  /** User-mode time on `cpu`: no kernel code runs, so nothing but the cycles is charged. */
  userTime(cpu: number, cycles: number): void {
    if (cycles > 0) this.ledger.chargeDerived(cpu, Cat.user, cycles);
  }

  /** pks_update_exception(): changes the PKRS the interrupted thread resumes with. */
  updateExceptionPkrs(cpu: number, value: number): void {
    const saved = this.current[cpu].exceptionPkrs;
    if (saved.length === 0) throw new Error("updateExceptionPkrs outside an exception");
    saved[saved.length - 1] = value >>> 0;
  }

  /** Exception exit: restores the (possibly updated) saved PKRS of the interrupted thread. */
  exceptionExit(cpu: number, useCache = this.usePkrsCache): void {
    const thread = this.current[cpu];
    const saved = thread.exceptionPkrs.pop();
    if (saved === undefined) throw new Error("exceptionExit without exceptionEnter");
    thread.pkrs = saved;
    if (this.cr4Pks[cpu]) this.writePkrs(cpu, saved, useCache);
  }

  /** Interrupt entry with PKS: save PKRS, load PKS_INIT_VALUE through the cache. Returns the saved value. */
  protected irqPkrsEnter(cpu: number): number {
    const saved = this.pkrs[cpu];
    if (this.cr4Pks[cpu]) this.writePkrs(cpu, this.pksInitValue);
    return saved;
  }

  /** Interrupt exit with PKS: restore the interrupted PKRS through the cache. */
  protected irqPkrsExit(cpu: number, saved: number): void {
    if (this.cr4Pks[cpu]) this.writePkrs(cpu, saved);
  }
}
