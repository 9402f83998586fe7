/**
 * Names of permanent failures. Activities throw them as non-retryable ApplicationFailures; workflows and the delivery
 * log match on them. Transient failures are plain errors, retried by Temporal.
 */
export const ErrorType = {
  /** The webhook's signing secret cannot be decrypted with SECRETS_KEY (wrong or rotated key). */
  SecretUndecryptable: 'SecretUndecryptable',
  /** The delivery row the workflow refers to does not exist. */
  DeliveryNotFound: 'DeliveryNotFound',
  /** A destination the policy refuses (private address, bad URL). */
  BlockedDestination: 'BlockedDestination',
  /** The LLM is rate-limited, failing or unreachable: retried, honouring Retry-After. */
  LlmUnavailable: 'LlmUnavailable',
  /** The LLM's answer did not parse or fit the schema: retried a few times. */
  LlmMalformedOutput: 'LlmMalformedOutput',
  /** The LLM refused the request (bad key, unknown model): not retried. */
  LlmRejected: 'LlmRejected',
} as const;
export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];
