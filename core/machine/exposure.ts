/**
 * Exposure accounting for coverage: page-cycles during which a watched (protected) page can
 * be written through its direct-map address (its PTE writable and its key not disabled in
 * the CPU's PKRS), or through a stale TLB entry left after its PTE changed (a window that
 * closes when that CPU flushes the entry). The engine watches the pages; the layers above
 * report PKRS writes, PTE changes and flushes here.
 */
import type { CostProfile } from "../profile.ts";
import { Access } from "./access.ts";
import { ChunkSlabs } from "./chunks.ts";
import type { MachineConfig } from "./config.ts";
import { CHUNK_MASK, CHUNK_PAGES, CHUNK_SHIFT } from "./page-tables.ts";
import { PKS_KEYS } from "./pkrs.ts";
import {
  PTE_PKEY_MASK,
  PTE_PKEY_SHIFT,
  PTE_PRESENT,
  PTE_WRITABLE,
  SIZE_1G,
  SIZE_2M,
  SIZE_4K,
  SIZE_SHIFT,
} from "./pte.ts";

/** Above this many pending stale windows, a full flush looks them up from the TLB side. */
const STALE_PROBE_LIMIT = 64;

/**
 * Pending stale windows: vpn → time its PTE stopped mapping a watched page writably, in the
 * order they opened (a Map's order), with the opening order of each vpn and the number of
 * direct-map windows per 2 MiB and 1 GiB (only direct-map pages are cached in large TLB
 * entries), so that a flush can find its windows from the TLB side. The counts are typed
 * arrays (a 2 MiB region's count is 4 bytes per 512 pages), not Maps: one Map entry per
 * window less to write and to collect.
 */
class StaleWindows {
  /** vpns below this are direct-map pages. */
  readonly #directPages: number;
  /** vpn → its window's slot in the arrays below (one Map entry per window). */
  readonly #slot = new Map<number, number>();
  /** Per slot: when the window opened, and its opening order. */
  readonly #since: number[] = [];
  readonly #order: number[] = [];
  /** Slots of closed windows, for reuse. */
  readonly #free: number[] = [];
  readonly #per2m: Int32Array;
  readonly #per1g: Int32Array;
  /** Direct-map windows open (what the counts sum to), so that `clear` skips zero counts. */
  #direct = 0;
  #opened = 0;

  constructor(directPages: number) {
    this.#directPages = directPages;
    this.#per2m = new Int32Array(Math.ceil(directPages / (1 << SIZE_SHIFT[SIZE_2M])));
    this.#per1g = new Int32Array(Math.ceil(directPages / (1 << SIZE_SHIFT[SIZE_1G])));
  }

  get size(): number {
    return this.#slot.size;
  }

  has(vpn: number): boolean {
    return this.#slot.has(vpn);
  }

  get(vpn: number): number | undefined {
    const slot = this.#slot.get(vpn);
    return slot === undefined ? undefined : this.#since[slot];
  }

  /** Opening order of `vpn`'s window, or -1 when it has none. */
  order(vpn: number): number {
    const slot = this.#slot.get(vpn);
    return slot === undefined ? -1 : this.#order[slot];
  }

  set(vpn: number, since: number): void {
    let slot = this.#slot.get(vpn);
    if (slot === undefined) {
      slot = this.#free.pop() ?? this.#since.length;
      this.#slot.set(vpn, slot);
      this.#order[slot] = this.#opened++;
      if (vpn < this.#directPages) {
        this.#per2m[vpn >>> SIZE_SHIFT[SIZE_2M]]++;
        this.#per1g[vpn >>> SIZE_SHIFT[SIZE_1G]]++;
        this.#direct++;
      }
    }
    this.#since[slot] = since;
  }

  delete(vpn: number): void {
    const slot = this.#slot.get(vpn);
    if (slot === undefined) return;
    this.#slot.delete(vpn);
    this.#free.push(slot);
    if (vpn < this.#directPages) {
      this.#per2m[vpn >>> SIZE_SHIFT[SIZE_2M]]--;
      this.#per1g[vpn >>> SIZE_SHIFT[SIZE_1G]]--;
      this.#direct--;
    }
  }

  clear(): void {
    if (this.#direct > 0) {
      // Few windows: zero their own counts, not all of per2m (2048 entries per 4 GiB).
      if (this.#direct < this.#per2m.length >>> 4) {
        for (const vpn of this.#slot.keys()) {
          if (vpn >= this.#directPages) continue;
          this.#per2m[vpn >>> SIZE_SHIFT[SIZE_2M]] = 0;
          this.#per1g[vpn >>> SIZE_SHIFT[SIZE_1G]] = 0;
        }
      } else {
        this.#per2m.fill(0);
        this.#per1g.fill(0);
      }
      this.#direct = 0;
    }
    this.#slot.clear();
    this.#since.length = 0;
    this.#order.length = 0;
    this.#free.length = 0;
  }

  /** Whether a direct-map window lies in the `size`-class page `key` (vpn >>> SIZE_SHIFT[size]). */
  covers(size: number, key: number): boolean {
    const counts = size === SIZE_2M ? this.#per2m : this.#per1g;
    return key < counts.length && counts[key] > 0;
  }

  keys(): IterableIterator<number> {
    return this.#slot.keys();
  }
}

/** Layer 5 of the machine: exposure and stale-window accounting for coverage. */
export class Exposure extends Access {
  // Exposure accounting (coverage): pages being watched and page-cycles of exposure per CPU.
  /** 1: the page is protected (watched for exposure); CHUNK_PAGES chunks, allocated on first use. */
  readonly #watched: (Uint8Array | undefined)[];
  /** Watched-page chunks, up to 64 (32 KiB) to a slab. */
  readonly #watchedSlabs = new ChunkSlabs(CHUNK_PAGES, 64, (length) => new Uint8Array(length));
  /** Watched pages per key whose direct-map PTE is present and writable. */
  protected readonly watchedWritable = new Float64Array(PKS_KEYS);
  readonly exposure: Float64Array;
  readonly #exposureSince: Float64Array;
  /** vpn → time its PTE stopped mapping a watched page writably, until every CPU has flushed it. */
  protected readonly pendingStale: StaleWindows;
  /** Scratch space for the keys of one CPU's TLB entries of one size class. */
  #tlbKeys = new Int32Array(0);

  constructor(config: MachineConfig, profile: CostProfile) {
    super(config, profile);
    this.#tlbKeys = new Int32Array(
      Math.max(
        this.tlb.totalCapacity(SIZE_4K),
        this.tlb.totalCapacity(SIZE_2M),
        this.tlb.totalCapacity(SIZE_1G),
      ),
    );
    this.pendingStale = new StaleWindows(this.pages);
    this.#watched = new Array(Math.ceil(this.pages / CHUNK_PAGES)).fill(undefined);
    this.exposure = new Float64Array(config.cpus);
    this.#exposureSince = new Float64Array(config.cpus);
  }

  /** Marks pages as protected for exposure accounting (by the engine, not a strategy). */
  watch(pfns: ArrayLike<number>): void {
    this.accrueAllExposure();
    for (let i = 0; i < pfns.length; i++) {
      const page = pfns[i];
      if (this.isWatched(page)) continue;
      let chunk = this.#watched[page >>> CHUNK_SHIFT];
      if (chunk === undefined) {
        chunk = this.#watchedSlabs.take();
        this.#watched[page >>> CHUNK_SHIFT] = chunk;
      }
      chunk[page & CHUNK_MASK] = 1;
      const pte = this.directPte(page);
      if ((pte & (PTE_PRESENT | PTE_WRITABLE)) === (PTE_PRESENT | PTE_WRITABLE)) {
        this.watchedWritable[(pte & PTE_PKEY_MASK) >>> PTE_PKEY_SHIFT]++;
      }
    }
  }

  isWatched(pfn: number): boolean {
    if (pfn < 0 || pfn >= this.pages) return false;
    const chunk = this.#watched[pfn >>> CHUNK_SHIFT];
    return chunk !== undefined && chunk[pfn & CHUNK_MASK] === 1;
  }

  /** The first watched page of [from, to) (within one CHUNK_PAGES chunk), or `to`. */
  protected nextWatched(from: number, to: number): number {
    const chunk = this.#watched[from >>> CHUNK_SHIFT];
    if (chunk === undefined) return to;
    const base = from - (from & CHUNK_MASK);
    for (let at = from & CHUNK_MASK, stop = at + (to - from); at < stop; at++) {
      if (chunk[at] === 1) return base + at;
    }
    return to;
  }

  #exposureRate(cpu: number): number {
    let rate = 0;
    const pkrs = this.pkrs[cpu];
    const pks = this.cr4Pks[cpu];
    for (let key = 0; key < PKS_KEYS; key++) {
      const count = this.watchedWritable[key];
      if (count === 0) continue;
      if (!pks || ((pkrs >>> (key * 2)) & 3) === 0) rate += count;
    }
    return rate;
  }

  protected accrueExposure(cpu: number): void {
    const now = this.now(cpu);
    const elapsed = now - this.#exposureSince[cpu];
    if (elapsed > 0) this.exposure[cpu] += this.#exposureRate(cpu) * elapsed;
    this.#exposureSince[cpu] = now;
  }

  protected accrueAllExposure(): void {
    for (let cpu = 0; cpu < this.cpus; cpu++) this.accrueExposure(cpu);
  }

  /**
   * Boot is over: every CPU's clock moves to the latest one so that all start the workload
   * together, and exposure counting starts from there (setup time is not exposure).
   */
  beginWorkload(): void {
    const clock = this.ledger.clock;
    const start = Math.max(...clock);
    clock.fill(start);
    this.exposure.fill(0);
    this.#exposureSince.fill(start);
  }

  /** Brings every CPU's exposure up to its current clock (call at the end of a run). */
  settleExposure(): void {
    this.accrueAllExposure();
    for (let cpu = 0; cpu < this.cpus; cpu++) this.closeAllStale(cpu);
  }

  protected noteStale(cpu: number, vpn: number, pfn: number): void {
    if (this.isWatched(pfn) && !this.pendingStale.has(vpn)) {
      this.pendingStale.set(vpn, this.now(cpu));
    }
  }

  /** `cpu` is about to drop its entry for `vpn`: if that entry was stale and writable, the
   * time since the PTE changed was exposure. */
  protected closeStaleAt(cpu: number, vpn: number): void {
    const since = this.pendingStale.get(vpn);
    if (since !== undefined) this.#closeStale(cpu, vpn, since);
  }

  #closeStale(cpu: number, vpn: number, since: number): void {
    if (this.tlb.probe(cpu, vpn) < 0) return;
    if ((this.tlb.hitPte & (PTE_PRESENT | PTE_WRITABLE)) !== (PTE_PRESENT | PTE_WRITABLE)) return;
    const current = this.pteOf(vpn);
    if ((current & PTE_WRITABLE) !== 0 && this.walkPfn === this.tlb.hitPfn) return;
    const elapsed = this.now(cpu) - since;
    if (elapsed > 0) this.exposure[cpu] += elapsed;
  }

  /**
   * `cpu` is about to flush its whole TLB: closes every pending window its TLB still holds,
   * in the order the windows opened. With few windows, each is probed; with many, the CPU's
   * valid 4 KiB entries are looked up among the windows instead (a large entry that covers
   * a window sends it back to probing every window): the same windows close in the same
   * order either way.
   */
  protected closeAllStale(cpu: number): void {
    const pending = this.pendingStale;
    if (pending.size === 0) return;
    const tlb = this.tlb;
    if (pending.size <= STALE_PROBE_LIMIT || this.#staleInLargeEntries(cpu)) {
      // Keys and a lookup rather than entries(): no pair array per window.
      for (const vpn of pending.keys()) this.#closeStale(cpu, vpn, pending.get(vpn) as number);
      return;
    }
    const keys = this.#tlbKeys;
    const count = tlb.validKeys(cpu, SIZE_4K, keys);
    const found: number[] = [];
    for (let i = 0; i < count; i++) {
      const order = pending.order(keys[i]);
      if (order >= 0) found.push(order, keys[i]);
    }
    if (found.length === 0) return;
    const pairs: [number, number][] = [];
    for (let i = 0; i < found.length; i += 2) pairs.push([found[i], found[i + 1]]);
    pairs.sort((a, b) => a[0] - b[0]);
    let previous = -1;
    for (const [order, vpn] of pairs) {
      if (order === previous) continue;
      previous = order;
      this.#closeStale(cpu, vpn, pending.get(vpn) as number);
    }
  }

  /** Whether a valid 2M or 1G entry of `cpu` covers a vpn with a pending window. */
  #staleInLargeEntries(cpu: number): boolean {
    const keys = this.#tlbKeys;
    const pending = this.pendingStale;
    for (let size = SIZE_2M; size <= SIZE_1G; size++) {
      const count = this.tlb.validKeys(cpu, size, keys);
      for (let i = 0; i < count; i++) if (pending.covers(size, keys[i])) return true;
    }
    return false;
  }

  /** Every CPU has flushed [from, to): those stale windows are closed everywhere. */
  protected dropStale(from: number, to: number): void {
    const pending = this.pendingStale;
    if (to - from < pending.size) {
      for (let vpn = from; vpn < to; vpn++) pending.delete(vpn);
      return;
    }
    for (const vpn of pending.keys()) {
      if (vpn >= from && vpn < to) pending.delete(vpn);
    }
  }

  /** Total exposure in page-cycles, all CPUs. */
  totalExposure(): number {
    let sum = 0;
    for (let cpu = 0; cpu < this.cpus; cpu++) sum += this.exposure[cpu];
    return sum;
  }
}
