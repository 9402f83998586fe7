/**
 * `bare-temporal` and `temporal-floor` ingest: validates the event, builds the payload and starts one workflow per
 * event (its id derived from the event id, so a repeat is refused), as chat-webhooks' API does, without touching a
 * database.
 *
 * env: TEMPORAL_ADDRESS, TASK_QUEUE, PORT, WORKFLOW_TYPE (bareDeliveryWorkflow or floorDeliveryWorkflow)
 */
import { Client, Connection, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';

import { buildDelivery, onSigterm, requiredEnv, serveIngest } from './shared';

async function main() {
  const connection = await Connection.connect({ address: requiredEnv('TEMPORAL_ADDRESS') });
  const client = new Client({ connection });
  const taskQueue = requiredEnv('TASK_QUEUE');
  const workflowType = process.env.WORKFLOW_TYPE ?? 'bareDeliveryWorkflow';
  const idPrefix = workflowType === 'floorDeliveryWorkflow' ? 'floor' : 'bare';
  const server = await serveIngest(async (body) => {
    const delivery = buildDelivery(body, new Date());
    const workflowId = `${idPrefix}:${delivery.eventId}`;
    try {
      await client.workflow.start(workflowType, {
        workflowId,
        taskQueue,
        args: [{ messageId: delivery.messageId, payload: delivery.payload }],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      });
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError)
        return { status: 200, body: { event_id: delivery.eventId, status: 'duplicate' } };
      throw error;
    }
    return { status: 202, body: { event_id: delivery.eventId, workflow_id: workflowId, status: 'accepted' } };
  });
  onSigterm(async () => {
    server.close();
    server.closeIdleConnections();
    await connection.close();
  });
}

void main();
