/**
 * A reusable read buffer that grows: the trace parser reads a file a chunk at a time, the
 * census reads whole source files, both into one Buffer kept across reads.
 */

/**
 * `buffer` when it has room after its first `used` bytes, else a buffer of at least twice
 * its size (and at least `atLeast` bytes) that starts with those bytes.
 */
export function withRoom(
  buffer: Buffer<ArrayBuffer>,
  used: number,
  atLeast = 0,
): Buffer<ArrayBuffer> {
  if (used < buffer.length && atLeast <= buffer.length) return buffer;
  const grown = Buffer.allocUnsafe(Math.max(buffer.length * 2, atLeast));
  buffer.copy(grown, 0, 0, used);
  return grown;
}
