/**
 * TLB maintenance (arch/x86/mm/tlb.c): INVLPG and full flushes on one CPU, cross-CPU calls
 * (on_each_cpu, smp_call_function_many_cond) with the PKRS save/restore of each interrupt,
 * the kernel-range shootdowns (flush_tlb_kernel_range, cpa_flush, flush_tlb_all), AMD's
 * INVLPGB broadcast in their place, and the user address spaces with their mm-range
 * flushes (switch_mm_irqs_off, flush_tlb_mm_range), reaching only the CPUs in the mm's
 * cpumask.
 */
import { Cat, Ev } from "../ledger.ts";
import type { CostProfile } from "../profile.ts";
import type { MachineConfig } from "./config.ts";
import { Mm } from "./mm.ts";
import { Pks } from "./pks.ts";
import type { Thread } from "./state.ts";

/** Layer 7 of the machine: TLB flushes, IPIs, INVLPGB and the user address spaces. */
export class Shootdown extends Pks {
  /** cpu_tlbstate.loaded_mm per CPU: the Mm id whose translations it may cache, -1 for init_mm. */
  readonly loadedMm: Int32Array;
  /** cpu_tlbstate_shared.is_lazy per CPU: running a kernel thread with loaded_mm kept. */
  readonly isLazy: Uint8Array;
  /** User address spaces by id. */
  readonly mms = new Map<number, Mm>();

  /** Per CPU, every other online CPU (on_each_cpu's IPI targets), built once. */
  readonly #others: readonly (readonly number[])[];
  /** The kernel-range work of one shootdown, read by the bound handlers below. */
  #workVpn = 0;
  #workPages = 0;
  #workVpns: ArrayLike<number> = [];
  // Handlers bound once, not a closure per shootdown.
  readonly #flushLocalAllWork = (target: number) => this.flushLocalAll(target);
  readonly #invlpgRangeWork = (target: number) => {
    const vpn = this.#workVpn;
    for (let page = 0; page < this.#workPages; page++) this.invlpg(target, vpn + page);
  };
  readonly #invlpgListWork = (target: number) => {
    const vpns = this.#workVpns;
    for (let i = 0; i < vpns.length; i++) this.invlpg(target, vpns[i]);
  };

  constructor(config: MachineConfig, profile: CostProfile) {
    super(config, profile);
    this.loadedMm = new Int32Array(config.cpus).fill(-1);
    this.isLazy = new Uint8Array(config.cpus);
    const others: number[][] = [];
    for (let cpu = 0; cpu < config.cpus; cpu++) {
      others.push([]);
      for (let target = 0; target < config.cpus; target++) {
        if (target !== cpu) others[cpu].push(target);
      }
    }
    this.#others = others;
  }

  /** INVLPG on the local CPU. */
  invlpg(cpu: number, vpn: number): void {
    if (this.pendingStale.size > 0) {
      this.closeStaleAt(cpu, vpn);
      // Fixmap slots are per CPU: once the owning CPU has flushed, nothing else holds them.
      if (vpn >= this.fixmapBase) this.pendingStale.delete(vpn);
    }
    this.tlb.invalidate(cpu, vpn);
    this.ledger.count(Ev.invlpg);
    this.ledger.charge(cpu, Cat.invlpg, this.param.invlpg_cycles);
  }

  /** __flush_tlb_all() on the local CPU (INVPCID or CR4.PGE toggle: global entries too). */
  flushLocalAll(cpu: number): void {
    this.closeAllStale(cpu);
    this.tlb.flushAll(cpu);
    this.ledger.count(Ev.full_flushes);
    this.ledger.charge(cpu, Cat.tlb_flush, this.param.flush_all_cycles);
  }

  /**
   * on_each_cpu(fn, wait=1) from `cpu`: runs `work` locally and sends an IPI to every other
   * online CPU, which takes the interrupt (charged to that CPU) and runs `work`; the
   * initiator pays the send cost and spins until the last acknowledgement.
   */
  onEachCpu(cpu: number, work: (target: number) => void): void {
    this.#ipiMany(cpu, this.#others[cpu], work, true);
  }

  /**
   * smp_call_function_many_cond() with wait=1: IPIs to `targets` (never `cpu`), each target
   * taking the interrupt and running `work`, and `work` on `cpu` too when `local`.
   * machine.flush=concurrent (6.1): the IPIs go out first and the local work overlaps the
   * remote handlers; serial (before 5.3): the local work is done first, then the IPIs are
   * sent and waited for. On each target the interrupt entry saves the interrupted PKRS,
   * loads the default for the handler and restores it on exit, through pkrs_cache (Weiny
   * v10 irqentry PKRS handling).
   */
  #ipiMany(
    cpu: number,
    targets: readonly number[],
    work: (target: number) => void,
    local: boolean,
  ) {
    const ledger = this.ledger;
    const serial = this.config.flush === "serial";
    if (local && serial) work(cpu);
    // The base is the fixed cost of the cross-CPU call itself, charged even when no CPU is
    // left to interrupt (ipi_send_base_cycles is fitted to P19 on one CPU that way).
    ledger.charge(cpu, Cat.ipi_send, this.param.ipi_send_base_cycles);
    ledger.charge(cpu, Cat.ipi_send, this.param.ipi_per_target_cycles, targets.length);
    const sentAt = this.now(cpu);
    let lastAck = sentAt;
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i];
      ledger.count(Ev.ipis);
      // The target is interrupted at the send time (or when it gets there); the handler's
      // cycles are stolen from whatever it was doing.
      const start = this.now(target);
      ledger.charge(target, Cat.ipi_handle, this.param.ipi_handler_cycles);
      const saved = this.irqPkrsEnter(target);
      work(target);
      this.irqPkrsExit(target, saved);
      // The interrupt is taken when it is sent (smp_call_function_many_cond waits for the
      // handlers, csd_lock_wait): the acknowledgement comes when the handler is done, not
      // when the target's own simulated clock catches up with the sender's (operation-
      // granular interleaving can leave a target's clock ahead of the send time).
      const handled = this.now(target) - start;
      const ack = sentAt + handled;
      if (ack > lastAck) lastAck = ack;
    }
    if (local && !serial) work(cpu);
    const wait = lastAck - this.now(cpu);
    if (wait > 0) ledger.chargeDerived(cpu, Cat.ipi_wait, wait);
  }

  /** Whether remote invalidation is by INVLPGB broadcast. */
  get broadcastInvalidation(): boolean {
    return this.config.broadcast === "invlpgb";
  }

  /**
   * INVLPGB (+ TLBSYNC) from `cpu` for kernel addresses: every CPU's entries for `vpns`
   * (or, with null, every entry: invlpgb_flush_all) are dropped without interrupting
   * anyone; the initiator pays one INVLPGB per invlpgb_max_pages pages and the TLBSYNC wait.
   */
  #broadcastKernel(cpu: number, vpns: ArrayLike<number> | null): void {
    const ledger = this.ledger;
    const perInsn = Math.max(1, this.profile.parameters.invlpgb_max_pages.value);
    const instructions = vpns === null ? 1 : Math.max(1, Math.ceil(vpns.length / perInsn));
    ledger.count(Ev.invlpgb, instructions);
    ledger.charge(cpu, Cat.tlb_broadcast, this.param.invlpgb_cycles, instructions);
    for (let target = 0; target < this.cpus; target++) {
      if (vpns === null) {
        this.closeAllStale(target);
        this.tlb.flushAll(target);
      } else {
        for (let i = 0; i < vpns.length; i++) {
          if (this.pendingStale.size > 0) this.closeStaleAt(target, vpns[i]);
          this.tlb.invalidate(target, vpns[i]);
        }
      }
    }
    ledger.charge(cpu, Cat.tlb_broadcast, this.param.tlbsync_cycles);
  }

  /**
   * flush_tlb_kernel_range(): above tlb_single_page_flush_ceiling (33) pages every online CPU
   * does a full flush, otherwise every online CPU runs an INVLPG loop; always by IPI to all
   * online CPUs, synchronously.
   */
  flushTlbKernelRange(cpu: number, vpn: number, pages: number): void {
    this.ledger.count(Ev.shootdowns);
    const ceiling = this.profile.parameters.tlb_single_page_flush_ceiling.value;
    if (this.broadcastInvalidation) {
      const vpns: number[] = [];
      if (pages <= ceiling) for (let page = 0; page < pages; page++) vpns.push(vpn + page);
      this.#broadcastKernel(cpu, pages > ceiling ? null : vpns);
    } else if (pages > ceiling) {
      this.onEachCpu(cpu, this.#flushLocalAllWork);
    } else {
      this.#workVpn = vpn;
      this.#workPages = pages;
      this.onEachCpu(cpu, this.#invlpgRangeWork);
    }
    if (pages > ceiling) this.pendingStale.clear();
    else this.dropStale(vpn, vpn + pages);
  }

  /**
   * cpa_flush() for a list of pages (arch/x86/mm/pat/set_memory.c): above the 33-page ceiling
   * flush_tlb_all(), otherwise one IPI to every CPU, each running INVLPG on each listed page.
   */
  flushTlbKernelPages(cpu: number, vpns: ArrayLike<number>): void {
    const ceiling = this.profile.parameters.tlb_single_page_flush_ceiling.value;
    if (vpns.length > ceiling) {
      this.flushTlbAll(cpu);
      return;
    }
    this.ledger.count(Ev.shootdowns);
    if (this.broadcastInvalidation) this.#broadcastKernel(cpu, vpns);
    else {
      this.#workVpns = vpns;
      this.onEachCpu(cpu, this.#invlpgListWork);
      this.#workVpns = [];
    }
    for (let i = 0; i < vpns.length; i++) this.pendingStale.delete(vpns[i]);
  }

  /** flush_tlb_all(): full flush on every online CPU by IPI. */
  flushTlbAll(cpu: number): void {
    this.ledger.count(Ev.shootdowns);
    if (this.broadcastInvalidation) this.#broadcastKernel(cpu, null);
    else this.onEachCpu(cpu, this.#flushLocalAllWork);
    this.pendingStale.clear();
  }

  // ---------------------------------------------------------------------------------------
  // User address spaces and their TLB flushes (arch/x86/mm/tlb.c).

  /** The Mm with `id`, created empty on first use. */
  mm(id: number): Mm {
    let mm = this.mms.get(id);
    if (mm === undefined) {
      mm = new Mm(id, this.cpus);
      this.mms.set(id, mm);
    }
    return mm;
  }

  /**
   * switch_mm_irqs_off() for the thread now running on `cpu`: a kernel thread keeps the
   * loaded mm and goes lazy (enter_lazy_tlb); a user thread of another mm loads it, leaving
   * the previous mm's cpumask and joining the new one's.
   */
  switchMm(cpu: number, thread: Thread): void {
    if (thread.mm < 0) {
      this.isLazy[cpu] = 1;
      return;
    }
    this.isLazy[cpu] = 0;
    const previous = this.loadedMm[cpu];
    if (previous === thread.mm) {
      this.mm(thread.mm).cpumask[cpu] = 1;
      return;
    }
    if (previous >= 0) {
      const old = this.mms.get(previous);
      if (old) old.cpumask[cpu] = 0;
    }
    this.mm(thread.mm).cpumask[cpu] = 1;
    this.loadedMm[cpu] = thread.mm;
  }

  /** The address space `id` is gone (after exit_mmap): no CPU keeps it loaded. */
  dropMm(id: number): void {
    this.mms.delete(id);
    for (let cpu = 0; cpu < this.cpus; cpu++) {
      if (this.loadedMm[cpu] === id) {
        this.loadedMm[cpu] = -1;
        this.isLazy[cpu] = 0;
      }
    }
  }

  /** flush_tlb_func() for a user range on `cpu`: INVLPG per page up to the ceiling, else a CR3 (non-global) flush. */
  #userFlushLocal(cpu: number, pages: number, full: boolean): void {
    const ledger = this.ledger;
    if (full) {
      ledger.count(Ev.user_full_flushes);
      ledger.charge(cpu, Cat.tlb_flush, this.param.cr3_flush_cycles);
    } else {
      ledger.count(Ev.invlpg, pages);
      ledger.charge(cpu, Cat.invlpg, this.param.invlpg_cycles, pages);
    }
  }

  /**
   * flush_tlb_mm_range(mm, start, start + pages, PAGE_SHIFT, freedTables) from `cpu`.
   * Above tlb_single_page_flush_ceiling pages (or pages = Infinity, TLB_FLUSH_ALL) each
   * CPU does a full non-global flush, else one INVLPG per page. Only CPUs in the mm's
   * cpumask are reached: when another one is there, flush_tlb_multi() IPIs those that
   * should_flush_tlb() accepts (not lazy, unless page tables were freed) and the initiator
   * flushes itself if it has the mm loaded; otherwise only the local flush, if loaded.
   * With broadcast=invlpgb and the mm in at least invlpgbMinCpus CPUs' masks, INVLPGB for
   * the mm then TLBSYNC instead, no IPIs.
   */
  flushTlbMmRange(cpu: number, mmId: number, pages: number, freedTables = false): void {
    const mm = this.mms.get(mmId);
    if (mm === undefined) return;
    const ledger = this.ledger;
    ledger.count(Ev.mm_flushes);
    const ceiling = this.profile.parameters.tlb_single_page_flush_ceiling.value;
    const full = !Number.isFinite(pages) || pages > ceiling;
    const loadedHere = this.loadedMm[cpu] === mmId;
    let others = false;
    for (let target = 0; target < this.cpus; target++) {
      if (target !== cpu && mm.cpumask[target]) {
        others = true;
        break;
      }
    }
    if (!others) {
      if (loadedHere) this.#userFlushLocal(cpu, pages, full);
      return;
    }
    if (this.broadcastInvalidation && mm.cpusInMask() >= this.config.invlpgbMinCpus) {
      const perInsn = Math.max(1, this.profile.parameters.invlpgb_max_pages.value);
      const instructions = full ? 1 : Math.max(1, Math.ceil(pages / perInsn));
      ledger.count(Ev.invlpgb, instructions);
      ledger.charge(cpu, Cat.tlb_broadcast, this.param.invlpgb_cycles, instructions);
      ledger.charge(cpu, Cat.tlb_broadcast, this.param.tlbsync_cycles);
      return;
    }
    ledger.count(Ev.shootdowns);
    const targets: number[] = [];
    for (let target = 0; target < this.cpus; target++) {
      if (target === cpu || !mm.cpumask[target]) continue;
      // should_flush_tlb(): lazy CPUs flush at their next switch, unless tables were freed.
      if (!freedTables && this.isLazy[target]) continue;
      if (this.loadedMm[target] !== mmId && !freedTables) continue;
      targets.push(target);
    }
    this.#ipiMany(
      cpu,
      targets,
      (target) => {
        if (target !== cpu || loadedHere) this.#userFlushLocal(target, pages, full);
      },
      loadedHere,
    );
  }
}
