/**
 * capability: a bounded-capability strategy (CHERI-style), the worked example in
 * docs/plugins.md of extending the hardware model through the plugin API.
 *
 * The idea (a participant raised CHERI-style capabilities in the discussion; Morello Linux
 * and the CHERI Alliance Linux roadmap, discussion-history.md 1.10, which also notes that
 * kmap-style bracketed APIs are where bounds could be set): instead of lifting a protection
 * key for a whole CPU, the kernel hands the caller a
 * capability, a pointer that carries bounds and permissions and a validity tag, covering
 * exactly the mapped range with the permission asked for. Nothing in the page tables
 * changes; the check happens on every access.
 *
 * Hardware it needs, which the machine model does not have, entered through the model's
 * documented extension point `machine.addAccessCheck(check)` (core/machine/access.ts), not an edit
 * of core/:
 * - a tag per pointer: the capabilities a thread holds (in registers and on its stack) are
 *   the tagged pointers it may use; a `local` capability is held by the mapping thread
 *   only, a `global` or `long-term` one may be passed to any thread (tags survive copies);
 * - a capability check on access: an access to a protected page is allowed only when a
 *   capability the accessing thread holds covers its address and has the permission
 *   (write needs write; read is allowed by either). Otherwise the access faults ("check").
 * - protected pages carry no direct-map capability: the kernel's default data capability
 *   (the root every other kernel pointer derives from) excludes them, so a stray pointer
 *   into the direct map, not derived from a mapping's capability, faults.
 *
 * Mechanism: map derives a capability (CSetBounds to the range, CAndPerm to read or
 * read-write) from a root that covers the region; the address is the pages' direct-map
 * address (page_address()), so no PTE is written and no TLB is flushed, ever. Unmap revokes
 * it: for a local capability, which never left the thread, clearing the register is enough;
 * a global or long-term one may have been copied anywhere, so it needs a revocation sweep
 * of memory that may hold copies, amortised per revoked capability (the approach of CHERI
 * temporal-safety work; no figure in the reference set).
 *
 * Every cost is a guess: no measurement of a CHERI kernel doing this exists in the
 * reference set. All four are unverified parameters with wide ranges for sensitivity.
 *
 * Model limits (stated in docs/plugins.md): the machine sees addresses, not which register
 * an access uses, so an access is allowed when the accessing thread holds a live capability
 * covering the address; a stray that happens to hit the thread's own mapped range counts
 * as passing (this understates coverage, never overstates it). For the same reason an
 * observer's probe (probeAccess, the invariant checker's "is protection back") is answered
 * as for a pointer derived from the default capability: a protected page is never reachable
 * that way. Physically scattered pages
 * get one capability per page (a capability bounds one contiguous range).
 */
import { type Thread, WRITE } from "../core/machine/index.ts";
import { defineStrategy, type Outcome } from "../strategies/api.ts";

const OK: Outcome = { kind: "ok", value: undefined };

/** A capability: bounds [base, base + length) in virtual pages, and whether it permits writes. */
interface Capability {
  readonly base: number;
  readonly length: number;
  readonly write: boolean;
}

/** What a mapping holds, handed back at unmap. */
interface CapState {
  readonly caps: Capability[];
  readonly shared: boolean;
}

export default defineStrategy({
  name: "capability",
  version: "1.0.0",
  summary:
    "CHERI-style bounded capabilities: map returns a capability bounded to the range with the asked permission; protected pages have no direct-map capability.",
  citation:
    "discussion-history.md 1.10 (Morello Linux, a hybrid CHERI kernel; CHERI Alliance Linux roadmap, https://cheri-alliance.github.io/linux-roadmap/); the hardware enters through machine.addAccessCheck (docs/plugins.md)",
  options: {},
  costs: {
    cap_derive_cycles: {
      value: 4,
      unit: "cycles/capability",
      confidence: "unverified",
      source:
        "Deriving a bounded capability: CSetBounds plus CAndPerm on a root capability, two ALU-class instructions; guessed, no kernel measurement in the reference set.",
      range: [1, 50],
    },
    cap_clear_cycles: {
      value: 2,
      unit: "cycles/capability",
      confidence: "unverified",
      source:
        "Dropping a local capability that never left the thread: overwrite the register or stack slot; guessed.",
      range: [1, 20],
    },
    cap_revoke_cycles: {
      value: 2000,
      unit: "cycles/capability",
      confidence: "unverified",
      source:
        "Revoking a capability that may have been copied (global/long-term): a share of a revocation sweep of memory that may hold capabilities, amortised per revoked capability; a placeholder spanning orders of magnitude in its range.",
      range: [100, 100000],
    },
    cap_check_cycles: {
      value: 0,
      unit: "cycles/access",
      confidence: "unverified",
      source:
        "The bounds and permission check on an access to a protected page; CHERI designs do it in the load/store pipeline alongside translation, so nothing extra is assumed; guessed.",
      range: [0, 4],
    },
  },
  supports: { local: true, global: true, longTerm: true },
  restoresProtection: true,
  mapsRanges: true,
  directMapReads: false,
  proposed: [
    "capability hardware (CHERI-style bounds, permissions and tags) on the kernel's pointers: no x86 CPU has it; the model adds it through machine.addAccessCheck",
    "a kernel whose default data capability excludes protected pages, and a map API that returns bounded capabilities",
  ],
  create(context) {
    const { machine, region } = context;
    const isProtected = new Uint8Array(machine.pages);
    for (const pfn of region.pfns) isProtected[pfn] = 1;
    /** Capabilities held by one thread only (local). */
    const held = new Map<Thread, Capability[]>();
    /** Capabilities any thread may hold (global, long-term). */
    const shared: Capability[] = [];
    let derived = 0;
    let revoked = 0;
    let checkFaults = 0;

    const covers = (caps: readonly Capability[] | undefined, vpn: number, write: boolean) => {
      if (!caps) return false;
      for (const cap of caps) {
        if (vpn >= cap.base && vpn < cap.base + cap.length && (cap.write || !write)) return true;
      }
      return false;
    };

    return {
      onSetup() {
        // The capability addresses a page at page_address(): a high page (HIGHMEM machine)
        // has none, and this plugin does not model capabilities over kmap addresses.
        if (!region.pfns.every((pfn) => machine.inDirectMap(pfn))) {
          return {
            kind: "unsupported",
            reason: `the region is outside the direct map on ${machine.arch} (high memory): the capability design is modelled on page_address() ranges only (x86-64, or machine.regionMemory = lowmem)`,
          };
        }
        // The hardware: every access to a protected page needs a capability that allows it.
        machine.addAccessCheck((cpu, vpn, kind, pfn, probing) => {
          if (pfn < 0 || !isProtected[pfn]) return true; // the default capability covers it
          // An observer's probe (the invariant checker) asks whether a pointer derived from
          // the default capability, not from a mapping, reaches the page: never.
          if (probing) return false;
          context.charge(cpu, "cap_check_cycles");
          const write = kind === WRITE;
          const thread = machine.current[cpu];
          if (covers(held.get(thread), vpn, write) || covers(shared, vpn, write)) return true;
          checkFaults++;
          return false;
        });
        return OK;
      },
      onPagesProtect(_cpu, pfns) {
        for (const pfn of pfns) isProtected[pfn] = 1;
        return OK;
      },
      onPagesRelease(_cpu, pfns) {
        for (const pfn of pfns) isProtected[pfn] = 0;
        return OK;
      },
      onMap(request) {
        const { cpu, thread, pfns, scope } = request;
        const write = request.intent === "write";
        // One capability per physically contiguous run: its bounds are one range.
        const caps: Capability[] = [];
        for (let i = 0; i < pfns.length; i++) {
          const last = caps[caps.length - 1];
          if (last && last.base + last.length === pfns[i]) {
            caps[caps.length - 1] = { base: last.base, length: last.length + 1, write };
          } else caps.push({ base: pfns[i], length: 1, write });
        }
        context.charge(cpu, "cap_derive_cycles", caps.length);
        derived += caps.length;
        const isShared = scope !== "local";
        if (isShared) shared.push(...caps);
        else {
          const list = held.get(thread) ?? [];
          list.push(...caps);
          held.set(thread, list);
        }
        // The address is page_address(): the capability, not the page table, bounds it.
        const vpns = [...pfns];
        const contiguous = vpns.every((vpn, i) => vpn === vpns[0] + i);
        const state: CapState = { caps, shared: isShared };
        return { kind: "ok", value: { vpns, contiguous, state } };
      },
      onUnmap(request) {
        const { cpu, thread, mapping } = request;
        const state = mapping.state as CapState;
        const list = state.shared ? shared : held.get(thread);
        for (const cap of state.caps) {
          const index = list ? list.indexOf(cap) : -1;
          if (index < 0) {
            return {
              kind: "unsupported",
              reason: `unmap by thread ${thread.id}, which does not hold the mapping's capability`,
            };
          }
          list?.splice(index, 1);
        }
        context.charge(
          cpu,
          state.shared ? "cap_revoke_cycles" : "cap_clear_cycles",
          state.caps.length,
        );
        revoked += state.caps.length;
        return OK;
      },
      // A capability fault is an exception the kernel does not recover from: an oops naming
      // the faulting instruction (and so the culprit).
      onFault: () => "oops",
      onFinish: () => ({
        capabilities_derived: derived,
        capabilities_revoked: revoked,
        check_faults: checkFaults,
      }),
    };
  },
});
