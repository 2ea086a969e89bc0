/**
 * Outcomes of the built-in strategies' hooks: served, or refused with the reason the
 * coverage table shows (the kernel forbids the call there, or the design cannot serve it).
 *
 * @packageDocumentation
 */
import type { Mapping, Outcome } from "../api.ts";
import { consecutive, range } from "./pages.ts";

/** The `ok` outcome without a value: one shared object (outcomes are read-only). */
const OK: Outcome = Object.freeze({ kind: "ok", value: undefined });

/** An `ok` outcome. */
export function ok(): Outcome;
export function ok<T>(value: T): Outcome<T>;
export function ok<T>(value?: T): Outcome<T | undefined> {
  if (value === undefined) return OK;
  return { kind: "ok", value };
}

/** An `unsupported` outcome with its reason (feeds the coverage table). */
export function unsupported(reason: string): { kind: "unsupported"; reason: string } {
  return { kind: "unsupported", reason };
}

/**
 * The refusal of a sleeping API in atomic context (the principle: where the kernel forbids
 * a call in a context, the strategy cannot serve that operation). `api` names the call and
 * `why` the kernel function that may sleep.
 */
export function sleepsInAtomic(api: string, why: string): { kind: "unsupported"; reason: string } {
  return unsupported(
    `atomic context: ${api} may sleep (${why}), so an atomic caller cannot use it`,
  );
}

/** A mapping served at `vpns` (contiguous when they are consecutive), with its unmap state. */
export function mapped<S>(vpns: number[], state: S): Outcome<Mapping<S>> {
  return ok({ vpns, contiguous: consecutive(vpns), state });
}

/** A mapping served at the `count` consecutive pages from `vpn` (one alias), with its state. */
export function mappedAt<S>(vpn: number, count: number, state: S): Outcome<Mapping<S>> {
  return ok({ vpns: range(vpn, count), contiguous: true, state });
}

/**
 * The state a strategy's `onMap` gave `mapping`, typed by the strategy's `S`. Every
 * mapping an unmap hook receives was made by the same strategy's `onMap`, so a missing
 * state is a bug in the strategy (or a caller), not a request to refuse.
 */
export function mappingState<S>(mapping: Mapping<S>): S {
  if (mapping.state === undefined) {
    throw new Error("unmap of a mapping without state: not made by this strategy's onMap");
  }
  return mapping.state;
}
