/** Sotto's release version, shown by `sotto --version`. Kept equal to package.json. */
export const SOTTO_VERSION = '0.1.0';
