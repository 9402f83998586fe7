/** Every route of the API, in the order the document lists them. */
import type { Route } from '../route';
import { appRoutes } from './apps';
import { conditionRoutes } from './conditions';
import { deliveryRoutes } from './deliveries';
import { evaluationRoutes } from './evaluations';
import { eventTypeRoutes } from './event-types';
import { eventRoutes } from './events';
import { operationRoutes } from './operations';
import { portalSessionRoutes } from './portal-sessions';
import { recoveryRoutes } from './recoveries';
import { restHookRoutes } from './rest-hooks';
import { urlCheckRoutes } from './url-checks';
import { userRoutes } from './users';
import { webhookStatsRoutes } from './webhook-stats';
import { webhookRoutes } from './webhooks';

export const API_ROUTES: readonly Route[] = [
  ...appRoutes,
  ...portalSessionRoutes,
  ...webhookRoutes,
  ...restHookRoutes,
  ...urlCheckRoutes,
  ...recoveryRoutes,
  ...webhookStatsRoutes,
  ...eventRoutes,
  ...eventTypeRoutes,
  ...deliveryRoutes,
  ...conditionRoutes,
  ...evaluationRoutes,
  ...userRoutes,
  ...operationRoutes,
];
