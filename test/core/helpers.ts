import { DEFAULT_MACHINE, Machine, type MachineConfig } from "../../core/machine/index.ts";
import { loadProfile } from "../../core/profile.ts";

/** A small machine for unit tests: 4 CPUs, 4 GiB, default profile. */
export function smallMachine(overrides: Partial<MachineConfig> = {}): Machine {
  return new Machine({ ...DEFAULT_MACHINE, cpus: 4, memoryGiB: 4, ...overrides }, loadProfile());
}

/** A page in the second GiB, away from anything the tests touch otherwise. */
export const PAGE = (1 << 18) + 12345;
