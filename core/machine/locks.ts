/**
 * Locks with queueing in simulated time: a spinlock held until later makes the acquiring CPU
 * spin (charged), a mutex makes it sleep (the clock moves, nothing is charged), and taking a
 * lock last held by another CPU costs a cache-line transfer. Used by the page-table writes
 * (pgd_lock), kmap() (kmap_lock), the vmalloc allocator and the strategies.
 */
import { Cat, Ev } from "../ledger.ts";
import { MachineState } from "./state.ts";

/** Layer 2 of the machine: named locks queueing in simulated time (uses state only). */
export class Locks extends MachineState {
  readonly #lockNames: string[] = [];
  #lockFreeAt = new Float64Array(16);
  #lockHolder = new Int32Array(16).fill(-1);

  lockId(name: string): number {
    let id = this.#lockNames.indexOf(name);
    if (id >= 0) return id;
    id = this.#lockNames.length;
    this.#lockNames.push(name);
    if (id >= this.#lockFreeAt.length) {
      const freeAt = new Float64Array(id * 2);
      freeAt.set(this.#lockFreeAt);
      this.#lockFreeAt = freeAt;
      const holder = new Int32Array(id * 2).fill(-1);
      holder.set(this.#lockHolder);
      this.#lockHolder = holder;
    }
    return id;
  }

  /**
   * spin_lock(): if the lock is held until later in simulated time, `cpu` spins until it
   * is free (charged as lock_spin); taking a line last held by another CPU costs a transfer.
   * With `sleeping`, the wait advances the clock without charging cycles (a mutex).
   */
  acquire(cpu: number, lock: number, sleeping = false): void {
    const ledger = this.ledger;
    const freeAt = this.#lockFreeAt[lock];
    const now = this.now(cpu);
    if (freeAt > now) {
      ledger.count(Ev.lock_contended);
      if (sleeping) {
        ledger.count(Ev.lock_sleeps);
        ledger.clock[cpu] = freeAt;
      } else {
        ledger.chargeDerived(cpu, Cat.lock_spin, freeAt - now);
      }
    }
    const previous = this.#lockHolder[lock];
    if (previous >= 0 && previous !== cpu)
      ledger.charge(cpu, Cat.lock, this.param.lock_transfer_cycles);
    ledger.charge(cpu, Cat.lock, this.param.lock_acquire_cycles);
    this.#lockHolder[lock] = cpu;
    // Held until released; mark as busy "forever" meanwhile.
    this.#lockFreeAt[lock] = Number.POSITIVE_INFINITY;
  }

  release(cpu: number, lock: number): void {
    this.#lockFreeAt[lock] = this.now(cpu);
  }
}
