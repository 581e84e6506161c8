// `npm run worker`: the queue workers only (online updates and retraining).
import { runProcess } from './runProcess';
import { startWorkerRole } from '../app/processRoles';

void runProcess('worker', async (services, tenants) => [await startWorkerRole(services, tenants)]);
