/**
 * What the purge deletes, in order. Each step is one bounded statement run again and again until it touches fewer
 * rows than its batch: payloads first (PAYLOAD_RETENTION), then whole rows (LOG_RETENTION). Pure, so the purge
 * workflow can import it.
 */
export const PURGE_STEPS = [
  /** Payloads of finished deliveries, and their attempts' response excerpts and headers. */
  'delivery_payloads',
  /** Conversation transcripts (the turns conditions read). */
  'conversation_turns',
  /** The reasons in condition evaluations' verdicts (the LLM's words may quote the conversation). */
  'evaluation_text',
  /** Finished deliveries and, with them, their attempts. */
  'deliveries',
  'condition_evaluations',
  /** Accepted event ids with no delivery still pending. */
  'events',
  /** Once-per-conversation claims and conversation ends, of conversations quiet since the cutoff. */
  'condition_firings',
  'conversation_ends',
  /** Conversation clocks that no idle timer waits on any more. */
  'conversations',
] as const;

export type PurgeStep = (typeof PURGE_STEPS)[number];

/** Rows touched per step, over every run of one purge. */
export type PurgeCounts = Record<PurgeStep, number>;

/** Rows one purge statement touches at most: small enough that no lock is held for long. */
export const DEFAULT_PURGE_BATCH_SIZE = 1_000;

/** How often the retention schedule starts a purge. */
export const PURGE_INTERVAL_MS = 3_600_000;
