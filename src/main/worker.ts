// `npm run worker`: the queue workers only (online updates and retraining).
import { runProcess } from './runProcess';
import { startWorkerRole } from '../app/processRoles';
import { lowerWorkerPriority } from '../app/workerPriority';

void runProcess('worker', async (services, tenants) => {
  // Only here: a process that also serves the API (npm start) must keep its priority.
  lowerWorkerPriority(services.config.workerNice, services.log);
  return [await startWorkerRole(services, tenants)];
});
