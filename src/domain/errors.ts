/**
 * Names of permanent failures. Activities throw them as non-retryable ApplicationFailures; workflows and the delivery
 * log match on them. Transient failures are plain errors, retried by Temporal.
 */
export const ErrorType = {
  /** The webhook's signing secret cannot be decrypted with SECRETS_KEY (wrong or rotated key). */
  SecretUndecryptable: 'SecretUndecryptable',
  /** The delivery row the workflow refers to does not exist. */
  DeliveryNotFound: 'DeliveryNotFound',
} as const;
export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];
