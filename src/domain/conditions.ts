/**
 * Custom conditions as stored on a webhook. Pure code: workflows import it.
 */
export interface WebhookCondition {
  id: string;
  /** The natural-language trigger, 1–1000 characters. */
  prompt: string;
  /** `once_per_conversation` (default) or `every_match`. */
  fire: 'once_per_conversation' | 'every_match';
}
