import { describe, expect, it } from "vitest";
import { Ev } from "../../core/ledger.ts";
import {
  DEFAULT_MACHINE,
  FAULT_NOT_PRESENT,
  KMAP_LOCAL_MAX_NESTING,
  Machine,
  type MachineConfig,
  OK,
  READ,
  WRITE,
} from "../../core/machine/index.ts";
import { PAGE_KERNEL } from "../../core/machine/pte.ts";
import { loadProfile } from "../../core/profile.ts";
import kmapAsProtection from "../../strategies/kmap-as-protection.ts";
import pksKmap from "../../strategies/pks-kmap.ts";
import unprotected from "../../strategies/unprotected.ts";
import { pkslab } from "../helpers/cli.ts";
import { setUp } from "../strategies/helpers.ts";

const HIGHMEM: Partial<MachineConfig> = { arch: "x86-32-highmem" };
const machineOf = (config: Partial<MachineConfig> = {}) =>
  new Machine({ ...DEFAULT_MACHINE, cpus: 4, memoryGiB: 4, ...HIGHMEM, ...config }, loadProfile());
/** A high page (above the 896 MiB of low memory). */
const HIGH = (1 << 18) + 100;

describe("x86-32-highmem: low memory in the direct map, high memory only through kmap", () => {
  it("maps low pages in the direct map and leaves high pages out of it", () => {
    const machine = machineOf();
    expect(machine.lowmemPages).toBe(896 << 8);
    expect(machine.hasPks).toBe(false);
    expect(machine.config.directMapLeaf).toBe("2m"); // PAE has no 1 GiB leaves
    expect(machine.access(0, 1000, WRITE)).toBe(OK);
    expect(machine.access(0, HIGH, READ)).toBe(FAULT_NOT_PRESENT);
    expect(machine.access(0, (896 << 8) - 1, READ)).toBe(OK);
    expect(machine.access(0, 896 << 8, READ)).toBe(FAULT_NOT_PRESENT);
    // x86-64 keeps every page in the direct map.
    const x64 = new Machine({ ...DEFAULT_MACHINE, cpus: 2, memoryGiB: 4 }, loadProfile());
    expect(x64.access(0, HIGH, READ)).toBe(OK);
    expect(x64.pkmapPages).toBe(0);
  });

  it("kmap_local_page(): per-CPU fixmap slots in stack order, descending addresses, 15 per task", () => {
    const machine = machineOf();
    const thread = machine.current[0];
    const vpns: number[] = [];
    for (let i = 0; i < KMAP_LOCAL_MAX_NESTING; i++) {
      const vpn = machine.kmapLocalPush(thread, HIGH + i, PAGE_KERNEL);
      expect(vpn).toBe(machine.fixmapVpn(0, i));
      vpns.push(vpn);
      expect(machine.access(0, vpn, WRITE)).toBe(OK);
      expect(machine.lastPfn).toBe(HIGH + i);
    }
    // Higher slots have lower addresses (__fix_to_virt counts down).
    for (let i = 1; i < vpns.length; i++) expect(vpns[i]).toBe(vpns[i - 1] - 1);
    // The 16th nested map is past KM_MAX_IDX's usable slots.
    expect(machine.kmapLocalPush(thread, HIGH + 20, PAGE_KERNEL)).toBe(-1);
    // Out of order unmap is refused (the kernel BUGs); LIFO works.
    expect(() => machine.kmapLocalPop(thread, vpns[0])).toThrow();
    const shootdowns = machine.ledger.events[Ev.shootdowns];
    const last = vpns[vpns.length - 1];
    expect(machine.tlb.probe(0, last)).toBeGreaterThanOrEqual(0);
    machine.kmapLocalPop(thread, last);
    // kunmap_local(): the PTE is cleared and that one entry is flushed locally, no IPI.
    expect(machine.tlb.probe(0, last)).toBeLessThan(0);
    expect(machine.access(0, last, READ)).toBe(FAULT_NOT_PRESENT);
    expect(machine.ledger.events[Ev.shootdowns]).toBe(shootdowns);
    expect(machine.access(0, vpns[0], READ)).toBe(OK);
  });

  it("kmap(): pkmap entries under kmap_lock, reused while mapped, flush_all_zero_pkmaps on wrap", () => {
    const machine = machineOf({ pkmapEntries: 16 });
    const first = machine.kmapHigh(0, HIGH, PAGE_KERNEL);
    expect(first).toBe(machine.pkmapVpn(1)); // last_pkmap_nr starts at 0, the search at 1
    // The same page again: its entry, no new PTE.
    const writes = machine.ledger.events[Ev.pte_writes];
    expect(machine.kmapHigh(1, HIGH, PAGE_KERNEL)).toBe(first);
    expect(machine.ledger.events[Ev.pte_writes]).toBe(writes);
    expect(machine.pkmapCount(1)).toBe(3);
    machine.kunmapHigh(1, first);
    machine.kunmapHigh(0, first);
    // Unused but still mapped (count 1): a stale pkmap address still reaches the page.
    expect(machine.pkmapCount(1)).toBe(1);
    expect(machine.access(2, first, WRITE)).toBe(OK);
    // Fill entries 2..15, then the search wraps to 0: the unused entry 1 is cleared and the
    // whole pool flushed on every CPU, once.
    const held: number[] = [];
    for (let i = 1; i <= 14; i++) held.push(machine.kmapHigh(0, HIGH + i, PAGE_KERNEL));
    expect(held[13]).toBe(machine.pkmapVpn(15));
    expect(machine.pkmapWrapFlushes).toBe(0);
    const shootdowns = machine.ledger.events[Ev.shootdowns];
    const wrapped = machine.kmapHigh(0, HIGH + 15, PAGE_KERNEL);
    expect(wrapped).toBe(machine.pkmapVpn(0));
    expect(machine.pkmapWrapFlushes).toBe(1);
    expect(machine.ledger.events[Ev.shootdowns]).toBe(shootdowns + 1);
    expect(machine.pkmapCount(1)).toBe(0);
    expect(machine.access(2, first, WRITE)).toBe(FAULT_NOT_PRESENT);
    expect(machine.tlb.probe(2, first)).toBeLessThan(0);
    // Entry 1 is free again; after it the pool is full: kmap() would sleep, refused (-1).
    expect(machine.kmapHigh(0, HIGH + 16, PAGE_KERNEL)).toBe(machine.pkmapVpn(1));
    expect(machine.kmapHigh(0, HIGH + 17, PAGE_KERNEL)).toBe(-1);
    // A wrap with no unused entry clears nothing and flushes nothing.
    expect(machine.pkmapWrapFlushes).toBe(2 - 1);
  });

  it("strategies say what they mean there: pks-kmap has no PKS, kmap-as-protection needs high memory", () => {
    expect(() => setUp(pksKmap, { machine: HIGHMEM })).toThrow(/no PKS on x86-32-highmem/);
    expect(() => setUp(kmapAsProtection)).toThrow(/no high memory on x86-64/);
  });

  it("places the region in high or low memory as machine.regionMemory says", async () => {
    const statusOf = async (regionMemory: string) => {
      const run = await pkslab`compare
        ${["--strategies", "unprotected,kmap-as-protection", "--workloads", "pmem-dax"]}
        ${["--seeds", "1", "--format", "json", "--set", "machine.arch=x86-32-highmem"]}
        ${["--set", `machine.regionMemory=${regionMemory}`]}`;
      expect(run.code).toBe(0);
      const statuses = [...run.stdout.matchAll(/"status": "(\w+)"/g)].map((m) => m[1]);
      return statuses;
    };
    expect(await statusOf("highmem")).toEqual(["ok", "ok"]);
    // In low memory the pages are in the direct map: not mapping protects nothing.
    expect(await statusOf("lowmem")).toEqual(["ok", "unsupported"]);
  });

  it("kmap-as-protection: a high page is reachable only while kmapped; eager kunmap closes the pkmap window", () => {
    for (const kunmap of ["lazy", "eager"] as const) {
      const s = setUp(kmapAsProtection, { machine: HIGHMEM, options: { kunmap } });
      const page = s.region.pfns[0];
      expect(s.machine.inDirectMap(page)).toBe(false);
      expect(s.machine.access(1, page, WRITE)).toBe(FAULT_NOT_PRESENT); // direct-map stray
      const local = s.map(s.t[0], [0, 1], "write", "local");
      expect(local.vpns[0]).toBe(s.machine.fixmapVpn(0, 0));
      expect(s.machine.access(0, local.vpns[0], WRITE)).toBe(OK);
      s.unmap(s.t[0], local);
      expect(s.machine.access(0, local.vpns[0], WRITE)).toBe(FAULT_NOT_PRESENT);
      const global = s.map(s.t[0], [2], "write", "global");
      expect(s.machine.access(1, global.vpns[0], WRITE)).toBe(OK); // another CPU may use it
      s.unmap(s.t[0], global);
      expect(s.machine.access(1, global.vpns[0], WRITE)).toBe(
        kunmap === "lazy" ? OK : FAULT_NOT_PRESENT,
      );
      // kmap() may sleep: an atomic global request is refused.
      expect(s.tryMap(s.t[0], [3], "write", "global", "atomic")?.kind).toBe("unsupported");
    }
  });

  it("runs the HIGHMEM built-in beside a plugin (plugin runs resolve every built-in in their workers)", async () => {
    const run = await pkslab`compare
      ${["--plugin", "examples/capability.ts", "--strategies", "kmap-as-protection,capability"]}
      ${["--workloads", "pmem-dax", "--seeds", "1", "--format", "json"]}
      ${["--set", "machine.arch=x86-32-highmem"]}`;
    expect(run.code).toBe(0);
    // The capability plugin addresses pages at page_address(), which high pages lack.
    expect([...run.stdout.matchAll(/"status": "(\w+)"/g)].map((m) => m[1])).toEqual([
      "ok",
      "unsupported",
    ]);
  });

  it("the unprotected baseline reaches high pages through kmap too", () => {
    const s = setUp(unprotected, { machine: HIGHMEM });
    const mapping = s.map(s.t[0], [0], "write", "local");
    expect(mapping.vpns[0]).toBeGreaterThanOrEqual(s.machine.fixmapBase);
    expect(s.machine.access(0, mapping.vpns[0], WRITE)).toBe(OK);
    s.unmap(s.t[0], mapping);
    const global = s.map(s.t[0], [0], "write", "long-term");
    expect(global.vpns[0]).toBeGreaterThanOrEqual(s.machine.pkmapBase);
    expect(global.vpns[0]).toBeLessThan(s.machine.fixmapBase);
  });
});
