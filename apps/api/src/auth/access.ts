import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { IdentityErrorCode, IdentityException, type PersonPrincipal, type Principal } from '@zhengming/identity';
import { StaffRole } from '@zhengming/identity';

/**
 * Who may call a route. Every route declares one (the API refuses to start otherwise), and the
 * access guard enforces it before anything else runs; services then check the object itself.
 */
export type AccessPolicy =
  | { kind: 'public' }
  | { kind: 'public-or-verifier' }
  | { kind: 'signed-in' }
  | { kind: 'staff'; roles: readonly StaffRole[] }
  | { kind: 'verifier' }
  | { kind: 'signed-in-or-enterprise' };

export const ACCESS_POLICY = Symbol('access-policy');

export const Access = {
  /** Anyone, without credentials: health, reference data, the sign-in flow itself. */
  public: () => SetMetadata(ACCESS_POLICY, { kind: 'public' } satisfies AccessPolicy),
  /** Any signed-in person, resident or staff; services limit them to their own data. */
  signedIn: () => SetMetadata(ACCESS_POLICY, { kind: 'signed-in' } satisfies AccessPolicy),
  /** Staff holding one of the roles somewhere; services check that the role reaches the object. */
  staff: (...roles: StaffRole[]) => SetMetadata(ACCESS_POLICY, { kind: 'staff', roles } satisfies AccessPolicy),
  /** Only the district admin. */
  admin: () => SetMetadata(ACCESS_POLICY, { kind: 'staff', roles: [StaffRole.Admin] } satisfies AccessPolicy),
  /**
   * Anyone; a verifier institution that presents its API key is identified (and held to its key's
   * limits), so that its checks are recorded under its name. A bad key is refused, not ignored.
   */
  publicOrVerifier: () => SetMetadata(ACCESS_POLICY, { kind: 'public-or-verifier' } satisfies AccessPolicy),
  /**
   * A signed-in person, or an enterprise's system presenting the enterprise's API key (`zes_…` in
   * X-API-Key): the seal-use service, which then checks that the caller may use that seal.
   */
  signedInOrEnterprise: () => SetMetadata(ACCESS_POLICY, { kind: 'signed-in-or-enterprise' } satisfies AccessPolicy),
  /** A verifier institution presenting an API key. */
  verifier: () => SetMetadata(ACCESS_POLICY, { kind: 'verifier' } satisfies AccessPolicy),
};

export type RequestWithPrincipal = FastifyRequest & { principal?: Principal };

/** The caller as the access guard established it. */
export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext): Principal => {
  return context.switchToHttp().getRequest<RequestWithPrincipal>().principal ?? { kind: 'anonymous' };
});

/** The signed-in person on routes whose policy admits only people (signed-in or staff). */
export const CurrentPerson = createParamDecorator((_: unknown, context: ExecutionContext): PersonPrincipal => {
  const principal = context.switchToHttp().getRequest<RequestWithPrincipal>().principal;
  if (principal?.kind !== 'person') throw new IdentityException(IdentityErrorCode.AuthRequired);
  return principal;
});
