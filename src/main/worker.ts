// `npm run worker`: the online updates, at normal priority, and (unless TRAINER_CHILD=off) a trainer child process
// that retrains below it (src/main/trainer.ts).
import { runProcess } from './runProcess';
import { startWorkerRole } from '../app/processRoles';
import { TrainerProcess } from '../app/trainerProcess';

void runProcess('worker', async (services, tenants) => {
  const online = await startWorkerRole(services, tenants, { online: true, retrain: false });
  if (!services.config.trainerChild) return [online];
  const trainer = new TrainerProcess(services.log.child({ module: 'trainer' }));
  trainer.start();
  // The trainer first: its job may take most of the shutdown budget, and the online updates need little.
  return [trainer, online];
});
