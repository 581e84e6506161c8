// Counts what the domain services did, without the domain knowing about metrics: wraps the event service
// (events stored, by type) and the online updater (lists pushed) of one Services object.
import type { EventService } from '../domain/events/eventService';
import type { OnlineUpdateService } from '../domain/online/onlineUpdateService';
import type { Telemetry } from './telemetry';

/** Counts stored events by type; duplicates and rejected inputs stored nothing and are not counted. */
export function countStoredEvents(events: EventService, telemetry: Telemetry): EventService {
  const track = events.track.bind(events);
  const trackBatch = events.trackBatch.bind(events);
  events.track = (async (...args: Parameters<EventService['track']>) => {
    const result = await track(...args);
    if (result.accepted) telemetry.eventsStored(String(args[0].type));
    return result;
  }) as EventService['track'];
  events.trackBatch = (async (...args: Parameters<EventService['trackBatch']>) => {
    const result = await trackBatch(...args);
    const byType = new Map<string, number>();
    for (const { index, result: r } of result.results) {
      if (!r.accepted) continue;
      const type = String(args[0][index].type);
      byType.set(type, (byType.get(type) ?? 0) + 1);
    }
    for (const [type, n] of byType) telemetry.eventsStored(type, n);
    return result;
  }) as EventService['trackBatch'];
  return events;
}

/** Counts the lists the online updater published to subscribers. */
export function countPushes(online: OnlineUpdateService, telemetry: Telemetry): OnlineUpdateService {
  const applyMany = online.applyMany.bind(online);
  online.applyMany = (async (...args: Parameters<OnlineUpdateService['applyMany']>) => {
    const outcomes = await applyMany(...args);
    // Repeats of one user share an outcome: count each push once.
    for (const outcome of new Set(outcomes)) if (outcome.pushed) telemetry.pushSent();
    return outcomes;
  }) as OnlineUpdateService['applyMany'];
  return online;
}
