/**
 * JavaScript's built-ins (Array.prototype.push, JSON.stringify, Map, ...) are shared by all
 * code of a thread: a plugin that replaces one breaks the model, the result building and the
 * report of the whole thread. A snapshot of their property descriptors, taken before plugin
 * code runs, tells afterwards which were changed (and by whom, since the caller knows which
 * plugin ran) and puts the originals back.
 */

/** Global names of the built-ins whose own properties (and prototype's) are watched. */
const GLOBALS = [
  "Object",
  "Function",
  "Array",
  "String",
  "Number",
  "Boolean",
  "Symbol",
  "BigInt",
  "Math",
  "JSON",
  "Reflect",
  "Promise",
  "Map",
  "Set",
  "WeakMap",
  "WeakSet",
  "WeakRef",
  "Date",
  "RegExp",
  "Error",
  "TypeError",
  "RangeError",
  "SyntaxError",
  "ArrayBuffer",
  "SharedArrayBuffer",
  "DataView",
  "Atomics",
  "Int8Array",
  "Uint8Array",
  "Uint8ClampedArray",
  "Int16Array",
  "Uint16Array",
  "Int32Array",
  "Uint32Array",
  "Float32Array",
  "Float64Array",
  "BigInt64Array",
  "BigUint64Array",
  "Intl",
  "Buffer",
  "TextEncoder",
  "TextDecoder",
] as const;

/** One watched object's own properties: keys and descriptors by position. */
interface Watched {
  readonly name: string;
  readonly target: object;
  readonly keys: PropertyKey[];
  readonly descriptors: PropertyDescriptor[];
}

/** The built-ins as they were when the snapshot was taken. */
export interface IntrinsicsSnapshot {
  readonly watched: readonly Watched[];
}

// What the check itself uses, taken before any plugin can replace it; the check uses
// indexed loops and index assignment, not iterators or Array.prototype methods.
const { ownKeys, getOwnPropertyDescriptor, defineProperty, deleteProperty } = Reflect;
const getPrototypeOf = Object.getPrototypeOf;
const toText = String;
const GLOBAL_NAMES: readonly string[] = GLOBALS;

function indexOfKey(keys: readonly PropertyKey[], key: PropertyKey): number {
  for (let i = 0; i < keys.length; i++) if (keys[i] === key) return i;
  return -1;
}

function watchedObjects(): { name: string; target: object }[] {
  const global = globalThis as unknown as Record<string, unknown>;
  const objects: { name: string; target: object }[] = [{ name: "globalThis", target: global }];
  const add = (name: string, target: object) => {
    objects[objects.length] = { name, target };
  };
  for (let i = 0; i < GLOBAL_NAMES.length; i++) {
    const name = GLOBAL_NAMES[i];
    const value = global[name];
    if (value === null || (typeof value !== "object" && typeof value !== "function")) continue;
    add(name, value);
    const prototype = (value as { prototype?: unknown }).prototype;
    if (prototype !== null && typeof prototype === "object") add(`${name}.prototype`, prototype);
  }
  add("TypedArray.prototype", (getPrototypeOf(Int8Array) as { prototype: object }).prototype);
  const arrayIterator = getPrototypeOf([][Symbol.iterator]()) as object;
  add("ArrayIterator.prototype", arrayIterator);
  add("Iterator.prototype", getPrototypeOf(arrayIterator) as object);
  return objects;
}

function ownProperties(target: object): {
  keys: PropertyKey[];
  descriptors: PropertyDescriptor[];
} {
  const keys = ownKeys(target);
  const descriptors: PropertyDescriptor[] = [];
  for (let i = 0; i < keys.length; i++) {
    descriptors[i] = getOwnPropertyDescriptor(target, keys[i]) as PropertyDescriptor;
  }
  return { keys, descriptors };
}

/** Properties that tools set on purpose (source-map support sets Error.prepareStackTrace). */
const TOOL_SETTINGS: readonly string[] = ["Error.prepareStackTrace", "Error.stackTraceLimit"];

const isToolSetting = (name: string): boolean => {
  for (let i = 0; i < TOOL_SETTINGS.length; i++) if (TOOL_SETTINGS[i] === name) return true;
  return false;
};

/** Global properties that are not built-ins (they come and go as modules load). */
const isWatchedGlobal = (key: PropertyKey): boolean =>
  typeof key === "string" && indexOfKey(GLOBAL_NAMES, key) >= 0;

/** Takes a snapshot of the built-ins (before plugin code runs). */
export function snapshotIntrinsics(): IntrinsicsSnapshot {
  const objects = watchedObjects();
  const watched: Watched[] = [];
  for (let i = 0; i < objects.length; i++) {
    const { name, target } = objects[i];
    watched[i] = { name, target, ...ownProperties(target) };
  }
  return { watched };
}

const same = Object.is;
const sameDescriptor = (a: PropertyDescriptor, b: PropertyDescriptor): boolean =>
  same(a.value, b.value) &&
  a.get === b.get &&
  a.set === b.set &&
  a.writable === b.writable &&
  a.enumerable === b.enumerable &&
  a.configurable === b.configurable;

const keyName = (owner: string, key: PropertyKey): string =>
  owner === "globalThis"
    ? toText(key)
    : typeof key === "symbol"
      ? `${owner}[${toText(key.description)}]`
      : `${owner}.${toText(key)}`;

/**
 * The built-ins changed since the snapshot (replaced, added or deleted properties, e.g.
 * `Array.prototype.push`), after putting every original back. Empty when nothing changed.
 */
export function restoreIntrinsics(snapshot: IntrinsicsSnapshot): string[] {
  const changed: string[] = [];
  const watched = snapshot.watched;
  for (let w = 0; w < watched.length; w++) {
    const { name, target, keys, descriptors } = watched[w];
    const global = name === "globalThis";
    const now = ownProperties(target);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      if (global && !isWatchedGlobal(key)) continue;
      if (isToolSetting(keyName(name, key))) continue;
      const at = indexOfKey(now.keys, key);
      if (at >= 0 && sameDescriptor(now.descriptors[at], descriptors[i])) continue;
      changed[changed.length] = keyName(name, key);
      try {
        defineProperty(target, key, descriptors[i]);
      } catch {
        // A frozen or non-configurable property cannot have been changed in the first place.
      }
    }
    if (global) continue;
    for (let i = 0; i < now.keys.length; i++) {
      const key = now.keys[i];
      if (indexOfKey(keys, key) >= 0 || isToolSetting(keyName(name, key))) continue;
      changed[changed.length] = keyName(name, key);
      deleteProperty(target, key);
    }
  }
  return changed;
}

/** "Array.prototype.push" or "Array.prototype.push, JSON.stringify and 3 more". */
export function listChanged(changed: readonly string[]): string {
  // Called once the built-ins are back.
  if (changed.length <= 3) return changed.join(", ");
  return `${changed.slice(0, 3).join(", ")} and ${changed.length - 3} more`;
}
