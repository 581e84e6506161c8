// Apollo plugin timing every GraphQL operation served over HTTP, per root field: latency, and whether it ended
// fine, as the caller's mistake or as our failure. It also logs unexpected errors with the request's id, so a
// stack trace in the logs can be matched to the request line and to the x-request-id the client saw.
import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { Kind, type GraphQLFormattedError, type OperationDefinitionNode } from 'graphql';
import { ErrorCode, formatError } from '../errors';
import type { Logger } from '../logger';
import type { GraphQLContext } from '../resolvers/context';
import type { Outcome, Telemetry } from './telemetry';

/** The dashboard's operation groups; root fields not named here are "other" unless they look like search. */
const OPERATION_OF_FIELD: Record<string, string> = {
  recommendations: 'recommend',
  similarItems: 'recommend',
  trending: 'recommend',
  trackEvent: 'track',
  trackEvents: 'track',
};

export function operationOf(field: string): string {
  return OPERATION_OF_FIELD[field] ?? (/^search|Search/.test(field) ? 'search' : 'other');
}

const SERVER_CODES = new Set<string>([ErrorCode.INTERNAL_SERVER_ERROR, ErrorCode.SERVICE_UNAVAILABLE]);

function outcomeOf(errors: readonly GraphQLFormattedError[]): Outcome {
  if (!errors.length) return 'ok';
  return errors.some((e) => SERVER_CODES.has(String(e.extensions?.code))) ? 'server_error' : 'client_error';
}

/** Root fields by response key (alias or name), introspection left out. */
function rootFields(operation: OperationDefinitionNode): { key: string; name: string }[] {
  return operation.selectionSet.selections.flatMap((s) =>
    s.kind === Kind.FIELD && !s.name.value.startsWith('__') ? [{ key: s.alias?.value ?? s.name.value, name: s.name.value }] : [],
  );
}

export function graphqlTelemetryPlugin(telemetry: Telemetry, log: Logger): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async didEncounterErrors(rc) {
          for (const err of rc.errors) {
            if (formatError(err.toJSON(), err).extensions?.code !== ErrorCode.INTERNAL_SERVER_ERROR) continue;
            log.error({ err: unwrapResolverError(err), reqId: rc.contextValue.requestId, operationName: rc.operationName ?? undefined }, 'unexpected error in a resolver');
          }
        },
        async willSendResponse(rc) {
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          const errors = rc.response.body.kind === 'single' ? (rc.response.body.singleResult.errors ?? []) : [];
          if (!rc.operation) {
            // Unparsable or invalid documents never reach a field.
            telemetry.graphqlField('unknown', '(invalid)', 'other', seconds, outcomeOf(errors));
            return;
          }
          const type = rc.operation.operation;
          for (const field of rootFields(rc.operation)) {
            // Errors without a path (variables, validation) concern every field; others only their own.
            const mine = errors.filter((e) => !e.path?.length || e.path[0] === field.key);
            telemetry.graphqlField(type, field.name, operationOf(field.name), seconds, outcomeOf(mine));
          }
        },
      };
    },
  };
}
