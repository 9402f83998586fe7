/**
 * Workflow ids and signal names, shared by the API, activities and workflows. Kept free of zod on purpose: the
 * workflow bundle loads its modules again for every workflow, and building schemas there costs CPU on every event.
 */
/** Signal to chat-event workflows: these webhooks were deleted or disabled, so stop waiting to retry them. */
export const WEBHOOKS_CHANGED_SIGNAL = 'webhooksChanged';

/** One workflow per (app, event id): Temporal refuses a second start, which is the first line of deduplication. */
export function chatEventWorkflowId(appId: string, eventId: string): string {
  return `chat-event:${appId}:${eventId}`;
}

/** One idle-timer workflow per conversation. */
export function conversationWorkflowId(appId: string, conversationId: string): string {
  return `conversation:${appId}:${conversationId}`;
}
