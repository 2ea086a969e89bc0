// A module without a default export.
export const name = "no-default";
