// A strategy plugin that parses, but imports a module with a syntax error.
import broken from "./plugin-syntax-error.ts";

export default broken;
