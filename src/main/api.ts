// `npm run serve`: the GraphQL API only (scale out by running several behind a load balancer).
import { runProcess } from './runProcess';
import { startApiRole } from '../app/processRoles';

void runProcess('api', async (services, tenants) => [await startApiRole(services, undefined, tenants)]);
