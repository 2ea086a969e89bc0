export const cpus = 2;
