// `npm run trainer`: the retrain queue only, below serving priority (WORKER_NICE). `npm run worker` starts one as
// its child; run it alone (with TRAINER_CHILD=off on the workers) to train on a machine of its own.
import { runProcess } from './runProcess';
import { startWorkerRole } from '../app/processRoles';
import { lowerWorkerPriority } from '../app/workerPriority';

// A child whose parent died (SIGKILL, a crash) finishes as on SIGTERM rather than training on unsupervised.
if (process.send) process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));

void runProcess('trainer', async (services, tenants) => {
  lowerWorkerPriority(services.config.workerNice, services.log);
  return [await startWorkerRole(services, tenants, { online: false, retrain: true })];
});
