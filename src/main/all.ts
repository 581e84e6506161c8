// `npm start`: the whole system in one process for a single machine; loads the sample shop into an
// empty database first (SAMPLE_DATA=off skips it).
import { runProcess } from './runProcess';
import { startApiRole, startWorkerRole } from '../app/processRoles';
import { loadSampleStore } from '../sample/sampleStore';

void runProcess('all', async (services, tenants) => {
  if (services.config.sampleData && !(await services.db.item.findFirst({ select: { id: true } }))) {
    const summary = await loadSampleStore(services.config.databaseUrl, { mapUserId: services.userIds.mapper });
    services.log.info({ summary }, 'sample shop loaded');
  }
  const worker = await startWorkerRole(services, tenants);
  const api = await startApiRole(services, undefined, tenants);
  console.log(`freshrec is serving at ${api.server.url}`);
  // API first: stop taking requests, then let the workers finish their jobs.
  return [api, worker];
});
