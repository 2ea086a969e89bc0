export default { cpus: "two" };
