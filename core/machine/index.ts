/**
 * The machine room's front door: `Machine` and everything callers use with it (access kinds
 * and fault codes, the configuration, threads, kmap constants, the HIGHMEM costs). The bit
 * layouts (pte.ts, pkrs.ts), the user address space (mm.ts), the TLB arrays (tlb.ts) and
 * the machine parameters as data (params.ts) are imported from their own files.
 */
export {
  type AccessCheck,
  type AccessKind,
  FAULT_CHECK,
  FAULT_NAMES,
  FAULT_NOT_PRESENT,
  FAULT_NX,
  FAULT_PKEY,
  FAULT_WRITE_PROTECT,
  type FaultName,
  FETCH,
  OK,
  READ,
  WRITE,
} from "./access.ts";
export {
  DEFAULT_MACHINE,
  DEFAULT_NR_CPUS,
  type DirectMapLeaf,
  KM_MAX_IDX,
  KMAP_LOCAL_MAX_NESTING,
  MAX_CPUS,
  type MachineConfig,
  resolveMachineConfig,
  validateMachineConfig,
} from "./config.ts";
export { HIGHMEM_COSTS } from "./kmap.ts";
export { Machine } from "./machine.ts";
export type { PteChange } from "./page-table-writes.ts";
export { Thread } from "./state.ts";
