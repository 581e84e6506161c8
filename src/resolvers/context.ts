// What every resolver receives: the caller's principal and the Services of the caller's tenant.
import type { Services } from '../app/services';
import type { Principal } from '../domain/auth/apiKeyAuth';

export interface GraphQLContext {
  principal: Principal | null;
  services: Services;
  requestId: string;
  /** The client's address (first X-Forwarded-For hop behind a proxy), for abuse checks. */
  clientIp?: string | null;
}
