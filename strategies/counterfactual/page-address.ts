/**
 * page-address: the counterfactual of LSFMM 2022 claim 3. The PKS key is lifted when a
 * caller asks for an address (`page_address()`), exactly as pks-kmap lifts it in
 * kmap_local_page(), but page_address() has no unmap operation, so nothing ever puts the
 * key back: the strategy has no onUnmap hook. Used by `pkslab claims` only; not a candidate.
 *
 * "One apparent option is the page_address() macro, but that will not work due to the lack
 * of an unmap operation." (Weiny, LWN 894531)
 */
import { defineStrategy } from "../api.ts";
import { mapped } from "../common/outcomes.ts";
import { directMapVpns } from "../common/pages.ts";
import { PGMAP_KEY, PgmapProtection, pgmapKeyedRegion, restingRights } from "../common/pgmap.ts";

export default defineStrategy({
  name: "page-address",
  version: "1.0.0",
  summary:
    "Counterfactual: page_address() lifts the PKS key like kmap_local_page(), but there is no unmap to restore it.",
  citation:
    "LWN 894531 (LSFMM 2022: page_address() 'will not work due to the lack of an unmap operation'); Weiny v10 pgmap_set_readwrite (kernel-mechanics.md 6.5)",
  options: {},
  costs: {},
  supports: { local: true, global: true, longTerm: true },
  restoresProtection: false,
  mapsRanges: false,
  directMapReads: true,
  create(context) {
    const { machine, region } = context;
    const resting = restingRights(region.keyMode);
    const pgmap = new PgmapProtection(machine, PGMAP_KEY, resting, true);
    return {
      ...pgmapKeyedRegion(machine, resting),
      onMap(request) {
        const vpns = directMapVpns(request.pfns);
        pgmap.readwrite(request.thread);
        return mapped(vpns, undefined);
      },
      // No onUnmap: page_address() has nothing to pair with.
    };
  },
});
