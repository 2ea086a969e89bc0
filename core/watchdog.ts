/**
 * What a worker thread is running, readable from the thread that watches it: the seed and
 * the strategy hook in progress, in a SharedArrayBuffer the watcher hands to the worker.
 * A hook that never returns (a plain loop that charges nothing, so no budget can stop it)
 * can only be stopped by terminating its thread; this lets the watcher's message name the
 * hook and the seed it was stuck in.
 */

/** Hook names by id (0: no strategy hook is running). */
const HOOKS = [
  "",
  "onSetup",
  "onPagesProtect",
  "onPagesRelease",
  "onMap",
  "onUnmap",
  "onFault",
  "onContextSwitch",
  "onMigrate",
  "onFinish",
  "create",
] as const;

const HOOK_SLOT = 0;
const SEED_SLOT = 1;
const RUNNING_SLOT = 2;
/** Bytes of a watch buffer. */
export const WATCH_BYTES = 3 * Int32Array.BYTES_PER_ELEMENT;

let slots: Int32Array | undefined;

/** Starts (a buffer) or stops (undefined) reporting into a watch buffer, in this thread. */
export function attachWatch(buffer: SharedArrayBuffer | undefined): void {
  slots = buffer ? new Int32Array(buffer) : undefined;
  if (slots) Atomics.store(slots, RUNNING_SLOT, 1);
}

/** A hook's id for noteHookId (0, as for no hook, when the name is not a hook's). */
export function hookId(hook: string): number {
  return Math.max(0, HOOKS.indexOf(hook as never));
}

/**
 * Notes that the hook of id `id` (hookId) starts, or with 0 that it returned. The guard
 * looks the id up once per hook, not once per call.
 */
export function noteHookId(id: number): void {
  if (slots !== undefined) Atomics.store(slots, HOOK_SLOT, id);
}

/** Notes that a strategy hook starts (its name) or that it returned (undefined). */
export function noteHook(hook: string | undefined): void {
  noteHookId(hook === undefined ? 0 : hookId(hook));
}

/** Notes the seed whose run starts. */
export function noteSeed(seed: number): void {
  if (slots !== undefined) Atomics.store(slots, SEED_SLOT, seed | 0);
}

/** What a watched thread reported: whether it started, its seed and the hook in progress. */
export function readWatch(buffer: SharedArrayBuffer): {
  started: boolean;
  seed: number;
  hook: string | undefined;
} {
  const view = new Int32Array(buffer);
  const hook = HOOKS[Atomics.load(view, HOOK_SLOT)] ?? "";
  return {
    started: Atomics.load(view, RUNNING_SLOT) === 1,
    seed: Atomics.load(view, SEED_SLOT),
    hook: hook === "" ? undefined : hook,
  };
}
