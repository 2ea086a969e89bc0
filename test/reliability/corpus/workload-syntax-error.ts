// A workload plugin with a syntax error: a missing comma after `summary`.
import { defineWorkload } from "../../../workloads/api.ts";

export default defineWorkload({
  name: "broken-workload",
  summary: "Test corpus: a syntax error"
  params: {}, region: () => ({ pages: 1 }),
});
