/**
 * What must never be in a log line: what users said, their emails and names, signing secrets, API keys and payload
 * keys. The chaos run and the production-process tests look for each of these in every line their processes printed.
 * The answer names what leaked and where, never the value itself.
 */
export interface Needle {
  /** What it is, for the report: "a posted message", "the admin key". */
  what: string;
  /** An exact value, or a pattern for a family of values (every posted message). */
  value: string | RegExp;
}

export function findLeaks(lines: readonly string[], needles: readonly Needle[]): string[] {
  const leaks: string[] = [];
  for (const needle of needles) {
    if (typeof needle.value === 'string' && needle.value.length < 6) {
      throw new Error(`findLeaks: "${needle.what}" is too short to look for reliably`);
    }
    const index = lines.findIndex((line) =>
      typeof needle.value === 'string' ? line.includes(needle.value) : needle.value.test(line),
    );
    if (index >= 0) leaks.push(`${needle.what} in log line ${index + 1}`);
  }
  return leaks;
}

/** The key material of a TEMPORAL_PAYLOAD_KEYS value, each key as written. */
export function payloadKeyMaterial(keys: string): string[] {
  return keys
    .split(',')
    .map((entry) => entry.slice(entry.indexOf(':') + 1).trim())
    .filter(Boolean);
}
