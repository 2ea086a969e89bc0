/**
 * Kernel page-table entry attributes as the model stores them: a packed 32-bit word.
 * `toX86Pte` gives the architectural 64-bit layout (P bit 0, R/W bit 1, U/S bit 2,
 * G bit 8, protection key bits 62:59, XD bit 63; Intel SDM vol. 3 4.5, and
 * arch/x86/include/asm/pgtable_types.h _PAGE_BIT_PKEY_BIT0..3 = 59..62).
 */
export const PTE_PRESENT = 1 << 0;
export const PTE_WRITABLE = 1 << 1;
export const PTE_USER = 1 << 2;
export const PTE_GLOBAL = 1 << 3;
export const PTE_NX = 1 << 4;
export const PTE_PKEY_SHIFT = 8;
export const PTE_PKEY_MASK = 0xf << PTE_PKEY_SHIFT;

/** PAGE_KERNEL as used for the direct map: present, writable, global, no-execute, key 0. */
export const PAGE_KERNEL = PTE_PRESENT | PTE_WRITABLE | PTE_GLOBAL | PTE_NX;
/** PAGE_KERNEL_RO. */
export const PAGE_KERNEL_RO = PTE_PRESENT | PTE_GLOBAL | PTE_NX;

export function pteKey(pte: number): number {
  return (pte & PTE_PKEY_MASK) >>> PTE_PKEY_SHIFT;
}

export function withKey(pte: number, key: number): number {
  if (!Number.isInteger(key) || key < 0 || key > 15) {
    throw new RangeError(`protection key ${key} is outside 0..15`);
  }
  return (pte & ~PTE_PKEY_MASK) | (key << PTE_PKEY_SHIFT);
}

/** The architectural 64-bit x86 PTE for a packed entry mapping `pfn`. */
export function toX86Pte(pte: number, pfn: number): bigint {
  let value = BigInt(pfn) << 12n;
  if (pte & PTE_PRESENT) value |= 1n;
  if (pte & PTE_WRITABLE) value |= 1n << 1n;
  if (pte & PTE_USER) value |= 1n << 2n;
  if (pte & PTE_GLOBAL) value |= 1n << 8n;
  value |= BigInt(pteKey(pte)) << 59n;
  if (pte & PTE_NX) value |= 1n << 63n;
  return value;
}

/** Page-size classes of TLB entries and direct-map leaves. */
export const SIZE_4K = 0;
export const SIZE_2M = 1;
export const SIZE_1G = 2;
/** log2(pages) covered by an entry of each size class. */
export const SIZE_SHIFT = [0, 9, 18] as const;
/** Paging-structure levels read by a walk that ends at a leaf of each size (4-level paging). */
export const WALK_LEVELS = [4, 3, 2] as const;
