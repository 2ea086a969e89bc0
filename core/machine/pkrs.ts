/**
 * IA32_PKRS (MSR 0x6E1): 16 keys x 2 bits, AD = bit 2k, WD = bit 2k+1, bits 63:32 zero
 * (KVM PKS series, Chenyi Qiang; kernel-mechanics.md section 5).
 */
export const MSR_IA32_PKRS = 0x6e1;
export const PKS_KEYS = 16;
export const PKR_AD = 1;
export const PKR_WD = 2;

/** Access rights a key can be given. */
export type KeyRights = "rw" | "wd" | "ad";

export function pkrsBits(rights: KeyRights): number {
  return rights === "rw" ? 0 : rights === "wd" ? PKR_WD : PKR_AD;
}

/** Returns `pkrs` with `key` set to `rights`. */
export function pkrsWith(pkrs: number, key: number, rights: KeyRights): number {
  if (!Number.isInteger(key) || key < 0 || key >= PKS_KEYS) {
    throw new RangeError(`protection key ${key} is outside 0..15`);
  }
  const shift = key * 2;
  return ((pkrs & ~(3 << shift)) | (pkrsBits(rights) << shift)) >>> 0;
}

/** Rights of `key` in `pkrs`. AD dominates: an AD key is not readable either. */
export function pkrsRights(pkrs: number, key: number): KeyRights {
  const bits = (pkrs >>> (key * 2)) & 3;
  return bits & PKR_AD ? "ad" : bits & PKR_WD ? "wd" : "rw";
}

/**
 * Weiny v10's PKS_INIT_VALUE shape: key 0 (the default for every PTE) read-write,
 * every other key access-disabled, except those given explicitly.
 */
export function pksInitValue(defaults: Readonly<Record<number, KeyRights>> = {}): number {
  let value = 0;
  for (let key = 1; key < PKS_KEYS; key++) value = pkrsWith(value, key, defaults[key] ?? "ad");
  return value;
}
