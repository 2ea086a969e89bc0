// A strategy object without summary, citation, options, costs, supports and create.
export default { name: "half-done", version: "0.1.0" };
