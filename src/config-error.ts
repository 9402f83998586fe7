/** A setting that is missing, malformed or contradicts another; the CLI prints its message and exits 2. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
