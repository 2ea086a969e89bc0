import type { FaultResolution, Mapping, Outcome, StrategyHooks } from "./contract/strategy.ts";
import { hookId, noteHookId } from "./watchdog.ts";

/** A strategy plugin broke the hook contract: its cells fail with this reason. */
export class PluginError extends Error {
  override readonly name = "PluginError";
}

function describeValue(value: unknown): string {
  if (value === undefined) return "undefined";
  try {
    const text = JSON.stringify(value);
    return text.length > 120 ? `${text.slice(0, 117)}...` : text;
  } catch {
    return String(value);
  }
}

/** What the engine was doing when a hook ran, for error messages. */
export interface HookSite {
  operation: string;
}

function checkOutcome(strategy: string, hook: string, site: HookSite, value: unknown): void {
  const outcome = value as Outcome<unknown> | undefined;
  if (
    outcome &&
    typeof outcome === "object" &&
    (outcome.kind === "ok" ||
      (outcome.kind === "unsupported" && typeof outcome.reason === "string"))
  ) {
    return;
  }
  throw new PluginError(
    `${strategy}.${hook} returned a malformed outcome during ${site.operation}: ${describeValue(value)} (expected { kind: "ok", value } or { kind: "unsupported", reason })`,
  );
}

function checkMapping(
  strategy: string,
  site: HookSite,
  pages: number,
  vaLimit: number,
  mapping: unknown,
): void {
  const value = mapping as Mapping | undefined;
  const vpns = value?.vpns;
  let valid =
    value !== undefined &&
    Array.isArray(vpns) &&
    vpns.length === pages &&
    typeof value.contiguous === "boolean";
  // A loop rather than every(): this checks every map of every run.
  for (let i = 0; valid && i < pages; i++) {
    const vpn = (vpns as readonly number[])[i];
    valid = Number.isInteger(vpn) && vpn >= 0 && vpn < vaLimit;
  }
  if (!valid) {
    throw new PluginError(
      `${strategy}.onMap returned a malformed mapping during ${site.operation}: ${describeValue(mapping)} (expected { vpns: ${pages} page numbers below ${vaLimit}, contiguous: boolean })`,
    );
  }
}

/** A hook's throw as the PluginError that names it. */
function thrown(strategy: string, hook: string, site: HookSite, error: unknown): PluginError {
  if (error instanceof PluginError) return error;
  return new PluginError(
    `${strategy}.${hook} threw during ${site.operation}: ${(error as Error)?.message ?? String(error)}`,
  );
}

function wrap<F extends (...args: never[]) => unknown>(
  strategy: string,
  hook: string,
  site: HookSite,
  fn: F,
): F {
  const id = hookId(hook);
  return ((...args: Parameters<F>) => {
    noteHookId(id);
    try {
      return fn(...args);
    } catch (error) {
      throw thrown(strategy, hook, site, error);
    } finally {
      noteHookId(0);
    }
  }) as F;
}

/**
 * wrap for a hook of one argument (onMap, onUnmap, onSetup: every map and unmap), without
 * the rest parameter and spread of the general form.
 */
function wrapOne<A, R>(
  strategy: string,
  hook: string,
  site: HookSite,
  fn: (argument: A) => R,
): (argument: A) => R {
  const id = hookId(hook);
  return (argument) => {
    noteHookId(id);
    try {
      return fn(argument);
    } catch (error) {
      throw thrown(strategy, hook, site, error);
    } finally {
      noteHookId(0);
    }
  };
}

/**
 * Wraps a strategy's hooks so that a throw or a malformed return value becomes a
 * PluginError naming the hook and the operation, which fails only that plugin's cells.
 */
export function guardHooks(
  strategy: string,
  hooks: StrategyHooks,
  site: HookSite,
  vaLimit: number,
): StrategyHooks {
  const guarded: StrategyHooks = {};
  /** A one-argument hook whose outcome is checked, then passed to `after` (if any). */
  const checked = <A, O extends Outcome<unknown>>(
    name: string,
    hook: (argument: A) => O,
    after?: (argument: A, outcome: O) => void,
  ): ((argument: A) => O) => {
    const fn = wrapOne(strategy, name, site, hook);
    return (argument) => {
      const outcome = fn(argument);
      checkOutcome(strategy, name, site, outcome);
      after?.(argument, outcome);
      return outcome;
    };
  };
  if (hooks.onSetup) guarded.onSetup = checked("onSetup", hooks.onSetup.bind(hooks));
  for (const name of ["onPagesProtect", "onPagesRelease"] as const) {
    const hook = hooks[name];
    if (!hook) continue;
    const fn = wrap(strategy, name, site, hook.bind(hooks));
    guarded[name] = (cpu, pfns) => {
      const outcome = fn(cpu, pfns);
      checkOutcome(strategy, name, site, outcome);
      return outcome;
    };
  }
  if (hooks.onMap) {
    guarded.onMap = checked("onMap", hooks.onMap.bind(hooks), (request, outcome) => {
      if (outcome.kind === "ok") {
        checkMapping(strategy, site, request.pfns.length, vaLimit, outcome.value);
      }
    });
  }
  if (hooks.onUnmap) guarded.onUnmap = checked("onUnmap", hooks.onUnmap.bind(hooks));
  if (hooks.onFault) {
    const fn = wrap(strategy, "onFault", site, hooks.onFault.bind(hooks));
    guarded.onFault = (fault) => {
      const resolution: FaultResolution = fn(fault);
      if (resolution !== "retry" && resolution !== "oops") {
        throw new PluginError(
          `${strategy}.onFault returned ${describeValue(resolution)} during ${site.operation} (expected "retry" or "oops")`,
        );
      }
      return resolution;
    };
  }
  if (hooks.onContextSwitch) {
    guarded.onContextSwitch = wrap(
      strategy,
      "onContextSwitch",
      site,
      hooks.onContextSwitch.bind(hooks),
    );
  }
  if (hooks.onMigrate)
    guarded.onMigrate = wrap(strategy, "onMigrate", site, hooks.onMigrate.bind(hooks));
  if (hooks.onFinish) {
    const fn = wrap(strategy, "onFinish", site, hooks.onFinish.bind(hooks));
    guarded.onFinish = () => {
      const counters = fn();
      if (
        counters === null ||
        typeof counters !== "object" ||
        Object.values(counters).some(
          (value) => typeof value !== "number" || !Number.isFinite(value),
        )
      ) {
        throw new PluginError(
          `${strategy}.onFinish returned ${describeValue(counters)} (expected a record of finite numbers)`,
        );
      }
      return counters;
    };
  }
  return guarded;
}
