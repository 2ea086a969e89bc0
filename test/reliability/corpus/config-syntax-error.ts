export default { cpus: 2,, };
