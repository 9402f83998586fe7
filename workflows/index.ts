// The worker's workflowsPath: every workflow the task queue runs, under the names the contract gives them.
import type { WorkflowContracts } from '../src/temporal/contracts';
import { chatEventWorkflow } from './chat-event';
import { conversationWorkflow } from './conversation';
import { purgeWorkflow } from './purge';
import { recoverWebhookWorkflow, replayDeliveryWorkflow } from './replay';

export { chatEventWorkflow, conversationWorkflow, purgeWorkflow, recoverWebhookWorkflow, replayDeliveryWorkflow };

// A workflow whose name or signature drifts from its contract fails the typecheck here.
const _matchesContract: WorkflowContracts = {
  chatEventWorkflow,
  conversationWorkflow,
  replayDeliveryWorkflow,
  recoverWebhookWorkflow,
  purgeWorkflow,
};
