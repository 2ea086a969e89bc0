import { describe, expect, it } from "vitest";
import { Ev } from "../../../core/ledger.ts";
import {
  FAULT_NX,
  FAULT_PKEY,
  FAULT_WRITE_PROTECT,
  FETCH,
  OK,
  READ,
  WRITE,
} from "../../../core/machine/index.ts";
import { MSR_IA32_PKRS, pkrsRights, pkrsWith, pksInitValue } from "../../../core/machine/pkrs.ts";
import { PTE_NX, PTE_PRESENT, PTE_WRITABLE, toX86Pte, withKey } from "../../../core/machine/pte.ts";
import { PAGE, smallMachine } from "../helpers.ts";

const KEY = 1;

function protectedMachine(rights: "ad" | "wd", overrides = {}) {
  const machine = smallMachine(overrides);
  machine.enablePks(pksInitValue({ [KEY]: rights }));
  machine.changeDirectMap(0, PAGE, 1, { key: KEY });
  return machine;
}

describe("IA32_PKRS layout (KVM PKS series; kernel-mechanics.md section 5)", () => {
  it("is MSR 0x6E1 with AD at bit 2k and WD at bit 2k+1", () => {
    expect(MSR_IA32_PKRS).toBe(0x6e1);
    expect(pkrsWith(0, 3, "ad")).toBe(1 << 6);
    expect(pkrsWith(0, 3, "wd")).toBe(1 << 7);
    expect(pkrsRights(pkrsWith(0, 15, "wd"), 15)).toBe("wd");
  });

  it("PKS_INIT_VALUE leaves key 0 read-write and access-disables unallocated keys (Weiny v10 pks-keys.h)", () => {
    const init = pksInitValue();
    expect(pkrsRights(init, 0)).toBe("rw");
    for (let key = 1; key < 16; key++) expect(pkrsRights(init, key)).toBe("ad");
  });

  it("stores the protection key in PTE bits 62:59 (pgtable_types.h _PAGE_BIT_PKEY_BIT0 = 59)", () => {
    const x86 = toX86Pte(withKey(PTE_PRESENT | PTE_WRITABLE | PTE_NX, 0b1011), 0x1234);
    expect((x86 >> 59n) & 0xfn).toBe(0b1011n);
    expect(x86 & 1n).toBe(1n);
    expect((x86 >> 63n) & 1n).toBe(1n);
    expect((x86 >> 12n) & 0xfffffn).toBe(0x1234n);
  });
});

describe("PKS access check (SDM 4.6.2; kernel-mechanics.md section 5)", () => {
  it("AD blocks reads and writes of a supervisor page with that key", () => {
    const machine = protectedMachine("ad");
    expect(machine.access(0, PAGE, READ)).toBe(FAULT_PKEY);
    expect(machine.access(0, PAGE, WRITE)).toBe(FAULT_PKEY);
    expect(machine.access(0, PAGE + 1, WRITE)).toBe(OK); // key 0 neighbour
  });

  it("WD blocks writes only", () => {
    const machine = protectedMachine("wd");
    expect(machine.access(0, PAGE, READ)).toBe(OK);
    expect(machine.access(0, PAGE, WRITE)).toBe(FAULT_PKEY);
  });

  it("WD is ignored for supervisor writes when CR0.WP=0", () => {
    const machine = protectedMachine("wd", { cr0wp: false });
    expect(machine.access(0, PAGE, WRITE)).toBe(OK);
  });

  it("never affects instruction fetch: an AD key does not stop a fetch from an executable page", () => {
    const machine = smallMachine();
    machine.enablePks(pksInitValue({ [KEY]: "ad" }));
    const vpn = machine.vmallocBase + 10;
    machine.setKernelPte(0, vpn, PAGE, withKey(PTE_PRESENT, KEY)); // executable, key 1
    expect(machine.access(0, vpn, READ)).toBe(FAULT_PKEY);
    expect(machine.access(0, vpn, FETCH)).toBe(OK);
    // The fetch is still subject to NX, which is a paging check, not PKS.
    const nxVpn = vpn + 1;
    machine.setKernelPte(0, nxVpn, PAGE, withKey(PTE_PRESENT | PTE_NX, KEY));
    expect(machine.access(0, nxVpn, FETCH)).toBe(FAULT_NX);
  });

  it("checks the legacy R/W bit before PKS: a read-only page faults as write-protect", () => {
    const machine = protectedMachine("rw" as "ad");
    machine.changeDirectMap(0, PAGE, 1, { clear: PTE_WRITABLE });
    expect(machine.access(0, PAGE, WRITE)).toBe(FAULT_WRITE_PROTECT);
  });

  it("is per CPU: granting the key on CPU 0 leaves CPU 1 protected", () => {
    const machine = protectedMachine("ad");
    machine.writePkrs(0, pkrsWith(machine.pkrs[0], KEY, "rw"));
    expect(machine.access(0, PAGE, WRITE)).toBe(OK);
    expect(machine.access(1, PAGE, WRITE)).toBe(FAULT_PKEY);
  });

  it("needs no TLB flush: the next access after a PKRS write sees the new rights", () => {
    const machine = protectedMachine("ad");
    const open = pkrsWith(machine.pkrs[0], KEY, "rw");
    machine.writePkrs(0, open);
    expect(machine.access(0, PAGE, WRITE)).toBe(OK); // now cached in the TLB
    const events = machine.ledger.events;
    const missesBefore = events[Ev.tlb_misses];
    const flushesBefore = events[Ev.invlpg] + events[Ev.full_flushes];
    machine.writePkrs(0, pkrsWith(open, KEY, "ad"));
    expect(machine.access(0, PAGE, READ)).toBe(FAULT_PKEY);
    expect(events[Ev.tlb_misses]).toBe(missesBefore); // served from the TLB
    expect(events[Ev.invlpg] + events[Ev.full_flushes]).toBe(flushesBefore);
  });

  it("skips the WRMSR when the per-CPU pkrs_cache already holds the value (Weiny v10 pks_write_pkrs)", () => {
    const machine = protectedMachine("ad");
    const value = pkrsWith(machine.pkrs[0], KEY, "rw");
    // Setup's shootdowns interrupt the other CPUs, whose irqentry PKRS save/restore goes
    // through the cache too: count from here.
    const events = machine.ledger.events;
    const writes = events[Ev.pkrs_writes];
    const skipped = events[Ev.pkrs_writes_skipped];
    machine.writePkrs(0, value);
    machine.writePkrs(0, value);
    expect(events[Ev.pkrs_writes] - writes).toBe(1);
    expect(events[Ev.pkrs_writes_skipped] - skipped).toBe(1);
    machine.writePkrs(0, value, false);
    expect(events[Ev.pkrs_writes] - writes).toBe(2);
  });

  it("charges wrmsr_pkrs_cycles from the profile for each real write", () => {
    const machine = protectedMachine("ad");
    const before = machine.ledger.totalCycles();
    machine.writePkrs(0, pkrsWith(machine.pkrs[0], KEY, "rw"), false);
    expect(machine.ledger.totalCycles() - before).toBe(
      machine.profile.parameters.wrmsr_pkrs_cycles.value,
    );
  });
});

describe("PKRS and threads (Weiny v10 13/44 and the aux pt_regs patches)", () => {
  it("context switch loads the incoming thread's saved PKRS", () => {
    const machine = protectedMachine("ad");
    const a = machine.createThread(0);
    const b = machine.createThread(0);
    machine.contextSwitch(0, a);
    machine.setThreadPkrs(a, pkrsWith(a.pkrs, KEY, "rw"));
    expect(machine.access(0, PAGE, WRITE)).toBe(OK);
    machine.contextSwitch(0, b);
    expect(machine.pkrs[0]).toBe(b.pkrs);
    expect(machine.access(0, PAGE, WRITE)).toBe(FAULT_PKEY);
    machine.contextSwitch(0, a);
    expect(machine.access(0, PAGE, WRITE)).toBe(OK);
  });

  it("exception entry runs with PKS_INIT_VALUE and exit restores the interrupted thread's PKRS", () => {
    const machine = protectedMachine("ad");
    const thread = machine.createThread(0);
    machine.contextSwitch(0, thread);
    const open = pkrsWith(thread.pkrs, KEY, "rw");
    machine.setThreadPkrs(thread, open);
    machine.exceptionEnter(0);
    expect(machine.pkrs[0]).toBe(machine.pksInitValue);
    expect(machine.access(0, PAGE, WRITE)).toBe(FAULT_PKEY);
    machine.exceptionExit(0);
    expect(machine.pkrs[0]).toBe(open);
  });

  it("pks_update_exception changes what the interrupted thread resumes with", () => {
    const machine = protectedMachine("ad");
    const thread = machine.createThread(0);
    machine.contextSwitch(0, thread);
    machine.exceptionEnter(0);
    machine.updateExceptionPkrs(0, pkrsWith(thread.pkrs, KEY, "rw"));
    machine.exceptionExit(0);
    expect(machine.access(0, PAGE, WRITE)).toBe(OK);
    expect(thread.pkrs).toBe(machine.pkrs[0]);
  });
});

describe("pkrs_cache switch", () => {
  it("with the cache off, a context switch writes PKRS even when the value is unchanged", () => {
    const machine = protectedMachine("ad");
    machine.usePkrsCache = false;
    const a = machine.createThread(0);
    const b = machine.createThread(0);
    machine.contextSwitch(0, a);
    const before = machine.ledger.events[Ev.pkrs_writes];
    machine.contextSwitch(0, b);
    expect(machine.ledger.events[Ev.pkrs_writes] - before).toBe(1);
    machine.usePkrsCache = true;
    machine.contextSwitch(0, a);
    expect(machine.ledger.events[Ev.pkrs_writes] - before).toBe(1);
  });
});
