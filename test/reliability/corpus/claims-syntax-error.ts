export default {
  id: "broken",
  quote: "a missing comma"
  predicate: "none",
};
