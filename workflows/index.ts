// The worker's workflowsPath: every workflow the task queue runs.
export { chatEventWorkflow } from './chat-event';
export { conversationWorkflow } from './conversation';
export { recoverWebhookWorkflow,replayDeliveryWorkflow } from './replay';
