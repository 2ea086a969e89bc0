/**
 * How the fitted profile values were obtained: each fit moves one or two parameters until
 * the model reproduces the case(s) named in the parameter's `fittedTo`. Run
 * `npx tsx reports/analyses/validate/fit.ts` to redo the fits from the current profiles; it prints
 * the values (it does not rewrite the profiles: the values are copied in by hand, with the
 * case ids, so that every change to a profile is a reviewed diff).
 */
import { type CostProfile, overrideProfile } from "../../../core/profile.ts";
import { e8LatencyNs, vmallocLatencyNs } from "./cases-flush.ts";
import { xpfoRatio } from "./cases-xpfo.ts";
import { rangeFlushCycles } from "./model.ts";

/** Bisection for an increasing (or, with `decreasing`, decreasing) function of one value. */
export function bisect(
  f: (x: number) => number,
  target: number,
  low: number,
  high: number,
  steps = 16,
  decreasing = false,
): number {
  let lo = low;
  let hi = high;
  for (let i = 0; i < steps; i++) {
    const mid = (lo + hi) / 2;
    const above = f(mid) > target;
    if (above !== decreasing) hi = mid;
    else lo = mid;
  }
  return (lo + hi) / 2;
}

const with_ = (profile: CostProfile, values: Record<string, number>) =>
  overrideProfile(profile, values);

export function fitServer(base: CostProfile): Record<string, number> {
  // P19: the fixed cost of a flush call on a one-CPU mm (1 page = fixed + one INVLPG).
  const sendBase = Math.round(
    bisect((x) => rangeFlushCycles(with_(base, { ipi_send_base_cycles: x }), 1), 1276, 0, 5000),
  );
  let profile = with_(base, { ipi_send_base_cycles: sendBase });
  // E10: scale the vmap area alloc/free pair together (their split is a guess).
  const alloc = base.parameters.vmap_area_alloc_cycles.value;
  const free = base.parameters.vmap_area_free_cycles.value;
  const scale = bisect(
    (k) =>
      vmallocLatencyNs(
        with_(profile, { vmap_area_alloc_cycles: alloc * k, vmap_area_free_cycles: free * k }),
        3,
      ),
    969.37,
    0.2,
    3,
    12,
  );
  const vmapAlloc = Math.round(alloc * scale);
  const vmapFree = Math.round(free * scale);
  profile = with_(profile, { vmap_area_alloc_cycles: vmapAlloc, vmap_area_free_cycles: vmapFree });
  // E1/E2: per-target shootdown cost from the 96-core point, K from the 4-core point.
  const kFor = (p: CostProfile) =>
    Math.round(bisect((k) => xpfoRatio(p, 4, false, Math.round(k)), 2.614, 500, 20000, 12, true));
  const perTarget = Math.round(
    bisect(
      (x) => {
        const p = with_(profile, { ipi_per_target_cycles: x });
        return xpfoRatio(p, 96, false, kFor(p));
      },
      26.366,
      0,
      3000,
      9,
    ),
  );
  profile = with_(profile, { ipi_per_target_cycles: perTarget });
  return {
    ipi_send_base_cycles: sendBase,
    vmap_area_alloc_cycles: vmapAlloc,
    vmap_area_free_cycles: vmapFree,
    ipi_per_target_cycles: perTarget,
    xpfo_kernel_cycles: kFor(profile),
  };
}

export function fitOpteron(base: CostProfile): Record<string, number> {
  // E8 lazy, 1 thread: the per-CPU block alloc/free pair (everything a 2008 vm_map_ram did).
  const blockAlloc = base.parameters.vmap_block_alloc_cycles.value;
  const blockFree = base.parameters.vmap_block_free_cycles.value;
  const scale = bisect(
    (k) =>
      e8LatencyNs(
        with_(base, {
          vmap_block_alloc_cycles: blockAlloc * k,
          vmap_block_free_cycles: blockFree * k,
        }),
        "lazy-per-cpu",
        1,
      ),
    2900,
    0.1,
    100,
    14,
  );
  let profile = with_(base, {
    vmap_block_alloc_cycles: Math.round(blockAlloc * scale),
    vmap_block_free_cycles: Math.round(blockFree * scale),
  });
  // E8 eager. The model's per-thread latency is close to linear in the thread count,
  // a + b·(t − 1) (each extra thread adds its IPIs and its share of the lock), while the
  // published curve is concave (14.7, 33.6, 49.5, 70.6 us: 2008's smp_call_function()
  // serialised senders, which the model does not). So the eager points are fitted together:
  // the straight line with the smallest worst-case relative error through all four, whose
  // 1- and 8-thread values are then hit with the per-target (1 thread) and handler
  // (8 threads) costs. All four eager cases are fitted; none is independent evidence.
  const line = linearMinimax(E8_EAGER_POINTS);
  const perTargetFor = (p: CostProfile) =>
    bisect(
      (x) => e8LatencyNs(with_(p, { ipi_per_target_cycles: x }), "eager-global", 1),
      line.a,
      0,
      20_000,
      12,
    );
  const handler = bisect(
    (h) => {
      const p = with_(profile, { ipi_handler_cycles: h });
      return e8LatencyNs(with_(p, { ipi_per_target_cycles: perTargetFor(p) }), "eager-global", 8);
    },
    line.a + 7 * line.b,
    0,
    40_000,
    12,
  );
  profile = with_(profile, { ipi_handler_cycles: handler });
  profile = with_(profile, { ipi_per_target_cycles: perTargetFor(profile) });
  return {
    vmap_block_alloc_cycles: Math.round(blockAlloc * scale),
    vmap_block_free_cycles: Math.round(blockFree * scale),
    ipi_handler_cycles: Math.round(handler),
    ipi_per_target_cycles: Math.round(profile.parameters.ipi_per_target_cycles.value),
    line_a_ns: Math.round(line.a),
    line_b_ns: Math.round(line.b),
    line_worst_error: Number(line.error.toFixed(3)),
  };
}

/** Published E8 eager points: threads, ns per op (PIGGIN08). */
export const E8_EAGER_POINTS: readonly (readonly [number, number])[] = [
  [1, 14_700],
  [2, 33_600],
  [4, 49_500],
  [8, 70_631],
];

/** The line a + b·(t − 1) minimising the worst relative error over the points (grid search). */
export function linearMinimax(points: readonly (readonly [number, number])[]): {
  a: number;
  b: number;
  error: number;
} {
  const worst = (a: number, b: number) =>
    Math.max(...points.map(([t, y]) => Math.abs((a + b * (t - 1)) / y - 1)));
  const top = Math.max(...points.map(([, y]) => y));
  let best = { a: 0, b: 0, error: Number.POSITIVE_INFINITY };
  for (let step = top / 50, round = 0; round < 4; round++, step /= 10) {
    const centreA = best.error < Number.POSITIVE_INFINITY ? best.a : top / 2;
    const centreB = best.error < Number.POSITIVE_INFINITY ? best.b : top / 2;
    for (let i = -50; i <= 50; i++) {
      for (let j = -50; j <= 50; j++) {
        const a = centreA + i * step;
        const b = centreB + j * step;
        if (a <= 0 || b < 0) continue;
        const error = worst(a, b);
        if (error < best.error) best = { a, b, error };
      }
    }
  }
  return best;
}
