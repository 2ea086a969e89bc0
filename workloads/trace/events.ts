/**
 * The event records of the trace parser: which kprobe events are accessor calls and how
 * their arguments describe accesses (the accessor table), which events mark a search or
 * end a session, which are system-call tracepoints; and the accesses one accessor event
 * asks for.
 *
 * Each accessor call becomes one or two accesses (copy, memcpy and memmove read a source
 * range and write a destination range) of (buffer, byte offset, length). A buffer is one
 * extent buffer instance: the pair (struct extent_buffer pointer, eb->start). Offsets
 * include `offset_in_page(eb->start)`, as the kernel's helpers compute them.
 *
 * @packageDocumentation
 */
import { PAGE_BYTES } from "./data.ts";
import { argText, numberArg } from "./lines.ts";

/** How an accessor's probe arguments describe its accesses. */
type AccessorShape =
  /** `off`, `len`: one access of the buffer. */
  | "range"
  /** `ptr` + `off`: one member of `bits`/8 bytes (btrfs_get_N, btrfs_set_N and their token forms). */
  | "member"
  /** `off` (destination), `src` (source), `len`: both in the same buffer. */
  | "move"
  /** `off` in this buffer, `src` in `srceb`/`srcstart`, `len`. */
  | "copy"
  /** the whole buffer from `srceb`/`srcstart`, `len` bytes. */
  | "copy-full"
  /** a header field at a fixed offset (`field`, `bytes`): the fsid and chunk-tree-uuid writers. */
  | "field";

export interface AccessorInfo {
  /** The event's name (the table's key). */
  readonly name: string;
  readonly shape: AccessorShape;
  readonly write: boolean;
  /** Member size in bytes (member shape), or the field's size (field shape). */
  readonly bytes?: number;
  /** The field's offset in the buffer (field shape). */
  readonly field?: number;
}

/**
 * Offsets in 6.1's `struct btrfs_header` (fs/btrfs/ctree.h, packed): csum[BTRFS_CSUM_SIZE
 * 32], fsid[BTRFS_FSID_SIZE 16], bytenr (8), flags (8), chunk_tree_uuid[BTRFS_UUID_SIZE 16].
 * write_extent_buffer_fsid() and write_extent_buffer_chunk_tree_uuid() (fs/btrfs/
 * extent_io.c) memcpy 16 bytes at these offsets of the buffer's first page.
 */
const HEADER_FSID_OFFSET = 32;
const HEADER_CHUNK_TREE_UUID_OFFSET = 32 + 16 + 8 + 8;
const HEADER_UUID_BYTES = 16;

function accessorTable(): Map<string, AccessorInfo> {
  const table = new Map<string, Omit<AccessorInfo, "name">>([
    ["read_extent_buffer", { shape: "range", write: false }],
    ["read_extent_buffer_to_user_nofault", { shape: "range", write: false }],
    ["memcmp_extent_buffer", { shape: "range", write: false }],
    ["write_extent_buffer", { shape: "range", write: true }],
    ["memzero_extent_buffer", { shape: "range", write: true }],
    ["memcpy_extent_buffer", { shape: "move", write: true }],
    ["memmove_extent_buffer", { shape: "move", write: true }],
    ["copy_extent_buffer", { shape: "copy", write: true }],
    ["copy_extent_buffer_full", { shape: "copy-full", write: true }],
    [
      "write_extent_buffer_fsid",
      { shape: "field", write: true, field: HEADER_FSID_OFFSET, bytes: HEADER_UUID_BYTES },
    ],
    [
      "write_extent_buffer_chunk_tree_uuid",
      {
        shape: "field",
        write: true,
        field: HEADER_CHUNK_TREE_UUID_OFFSET,
        bytes: HEADER_UUID_BYTES,
      },
    ],
  ]);
  for (const bits of [8, 16, 32, 64]) {
    const bytes = bits / 8;
    table.set(`btrfs_get_${bits}`, { shape: "member", write: false, bytes });
    table.set(`btrfs_get_token_${bits}`, { shape: "member", write: false, bytes });
    table.set(`btrfs_set_${bits}`, { shape: "member", write: true, bytes });
    table.set(`btrfs_set_token_${bits}`, { shape: "member", write: true, bytes });
  }
  return new Map([...table].map(([name, info]) => [name, { name, ...info }]));
}

/** The accessors the replay understands, by event name. */
export const ACCESSORS: ReadonlyMap<string, AccessorInfo> = accessorTable();
/** Events that start a search session. */
export const SEARCH_MARKERS: readonly string[] = [
  "btrfs_search_slot",
  "btrfs_search_old_slot",
  "btrfs_search_forward",
];
/** Events that end the current session without starting a search. */
export const SESSION_END_MARKERS: readonly string[] = ["btrfs_commit_transaction"];

/** Whether an event is a system-call entry or exit tracepoint. */
export function syscallEvent(event: string): "enter" | "exit" | undefined {
  if (event === "sys_enter" || event.startsWith("sys_enter_")) return "enter";
  if (event === "sys_exit" || event.startsWith("sys_exit_")) return "exit";
  return undefined;
}

/**
 * One access of an accessor call, before its buffer has an id: the buffer (`eb`, `start`),
 * the byte offset in its pages, the length, and whether it writes.
 */
export interface RawAccess {
  readonly eb: string;
  readonly start: number;
  readonly offset: number;
  readonly length: number;
  readonly write: boolean;
}

/** What one accessor event asks for. */
export interface AccessorCall {
  /** The accessor (its row of the accessor table). */
  readonly info: AccessorInfo;
  /** Its accesses, a copy's or move's source first. */
  readonly accesses: readonly RawAccess[];
  /** The call's length in bytes (for the length histogram). */
  readonly length: number;
  /**
   * A move's arguments: 6.1 memmove_extent_buffer() calls memcpy_extent_buffer() with the
   * same arguments when dst < src, so one call is traced twice.
   */
  readonly moveKey?: string;
}

/**
 * The kprobe arguments an accessor's shape may read, however they were read (the text
 * parser's argText/numberArg, or bytes.ts): undefined when absent, and for a number when
 * malformed or past 2^53.
 */
export interface AccessorArgs {
  readonly eb: string | undefined;
  readonly start: number | undefined;
  readonly off: number | undefined;
  readonly len: number | undefined;
  readonly ptr: number | undefined;
  readonly src: number | undefined;
  readonly srceb: string | undefined;
  readonly srcstart: number | undefined;
}

/**
 * The call an accessor event describes; `args` is the body after the probe location
 * (`(func+0x0/0x.. [btrfs])`). A missing or malformed argument gives the reason the line
 * is bad instead.
 */
export function accessorCall(
  event: string,
  info: AccessorInfo,
  args: string,
): AccessorCall | string {
  return callOf(event, info, {
    eb: argText(args, "eb"),
    start: numberArg(args, "start"),
    off: numberArg(args, "off"),
    len: numberArg(args, "len"),
    ptr: numberArg(args, "ptr"),
    src: numberArg(args, "src"),
    srceb: argText(args, "srceb"),
    srcstart: numberArg(args, "srcstart"),
  });
}

/** The call of an accessor event with these arguments, or the reason the line is bad. */
export function callOf(
  event: string,
  info: AccessorInfo,
  args: AccessorArgs,
): AccessorCall | string {
  const { eb, start } = args;
  if (eb === undefined || start === undefined) return `${event}: missing eb or start`;
  const base = start % PAGE_BYTES;
  const one = (offset: number, length: number): AccessorCall => ({
    info,
    accesses: [{ eb, start, offset: base + offset, length, write: info.write }],
    length,
  });
  switch (info.shape) {
    case "range": {
      const { off, len } = args;
      if (off === undefined || len === undefined) return `${event}: missing off or len`;
      return one(off, len);
    }
    case "member": {
      const { ptr, off } = args;
      if (ptr === undefined || off === undefined) return `${event}: missing ptr or off`;
      return one(ptr + off, info.bytes ?? 1);
    }
    case "field":
      return one(info.field ?? 0, info.bytes ?? 1);
    case "move": {
      const { off, src, len } = args;
      if (off === undefined || src === undefined || len === undefined) {
        return `${event}: missing off, src or len`;
      }
      return {
        info,
        accesses: [
          { eb, start, offset: base + src, length: len, write: false },
          { eb, start, offset: base + off, length: len, write: true },
        ],
        length: len,
        moveKey: `${eb} ${start} ${off} ${src} ${len}`,
      };
    }
    case "copy":
    case "copy-full": {
      const { srceb: srcEb, srcstart: srcStart, len } = args;
      const off = info.shape === "copy" ? args.off : 0;
      const src = info.shape === "copy" ? args.src : 0;
      if (
        srcEb === undefined ||
        srcStart === undefined ||
        len === undefined ||
        off === undefined ||
        src === undefined
      ) {
        return `${event}: missing srceb, srcstart, off, src or len`;
      }
      return {
        info,
        accesses: [
          {
            eb: srcEb,
            start: srcStart,
            offset: (srcStart % PAGE_BYTES) + src,
            length: len,
            write: false,
          },
          { eb, start, offset: base + off, length: len, write: true },
        ],
        length: len,
      };
    }
  }
}
