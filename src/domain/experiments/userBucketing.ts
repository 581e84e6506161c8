// Assigns a shopper to an experiment arm by a hash of the experiment id and their user id: stable across
// requests, processes and restarts, independent between experiments, and needing no stored assignment.
import { createHash } from 'node:crypto';

export type ArmName = 'A' | 'B';

/** A number in [0, 1) fixed by (experimentId, userId). */
export function userBucket(experimentId: string, userId: string): number {
  return createHash('sha256').update(`${experimentId}\u0000${userId}`).digest().readUInt32BE(0) / 2 ** 32;
}

/** Arm B for the first `share` of the unit interval, arm A for the rest. */
export function assignArm(experimentId: string, userId: string, share: number): ArmName {
  return userBucket(experimentId, userId) < share ? 'B' : 'A';
}
