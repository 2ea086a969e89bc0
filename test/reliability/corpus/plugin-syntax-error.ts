import { defineStrategy } from "../../../strategies/api.ts";

export default defineStrategy({
  name: "broken",
  create: ( => ({}),
});
