/**
 * What every group operation runs with: the injected crypto context (clock,
 * RNG, primitives) and, derived from it once, the ts-mls context — Sotto's
 * ciphersuite implementation, the identity-credential check, the key
 * retention limits of src/node/constants.ts and the capabilities every Sotto
 * leaf advertises (fixed, so leaves carry no random GREASE values).
 */
import { defaultKeyPackageEqualityConfig, defaultLifetimeConfig, type Capabilities, type ClientConfig, type MlsContext } from 'ts-mls';
import type { CryptoContext } from '../../crypto/context.ts';
import { GROUP_PAST_EPOCHS_KEPT, GROUP_RETAINED_GENERATIONS, MAX_GROUP_FORWARD_STEPS } from '../constants.ts';
import { ADMINS_EXTENSION_TYPE } from './admins.ts';
import { GROUP_CIPHERSUITE, groupCiphersuite, type GroupCiphersuiteId } from './ciphersuite.ts';
import { SOTTO_CREDENTIAL_TYPE, sottoAuthenticationService } from './credential.ts';

/** MLS protocol version 1.0 (RFC 9420). */
export const MLS_VERSION_10 = 1;

/** The injected dependencies of group operations, and the ciphersuite of the groups they make. */
export interface GroupEnv {
  readonly ctx: CryptoContext;
  /** Ciphersuite of new groups and key packages (default {@link GROUP_CIPHERSUITE}; the X25519 reference only in the benchmark). */
  readonly suite?: GroupCiphersuiteId;
}

/** ts-mls's client configuration for Sotto groups. */
export const GROUP_CLIENT_CONFIG: ClientConfig = {
  keyRetentionConfig: {
    retainKeysForGenerations: GROUP_RETAINED_GENERATIONS,
    retainKeysForEpochs: GROUP_PAST_EPOCHS_KEPT,
    maximumForwardRatchetSteps: MAX_GROUP_FORWARD_STEPS,
  },
  lifetimeConfig: defaultLifetimeConfig,
  keyPackageEqualityConfig: defaultKeyPackageEqualityConfig,
  paddingConfig: { kind: 'padUntilLength', padUntilLength: 256 },
};

/** The capabilities of every Sotto leaf: MLS 1.0, Sotto's two suites, the admin extension, Sotto's credential. */
export function groupCapabilities(): Capabilities {
  return {
    versions: [MLS_VERSION_10] as Capabilities['versions'],
    ciphersuites: [GROUP_CIPHERSUITE, 0x0001],
    extensions: [ADMINS_EXTENSION_TYPE],
    proposals: [],
    credentials: [SOTTO_CREDENTIAL_TYPE],
  };
}

const contexts = new WeakMap<CryptoContext, Map<number, MlsContext>>();

/** The ts-mls context for ciphersuite `suite` over `ctx` (built once per context and suite). */
export function mlsContext(ctx: CryptoContext, suite: GroupCiphersuiteId): MlsContext {
  let bySuite = contexts.get(ctx);
  if (bySuite === undefined) contexts.set(ctx, (bySuite = new Map()));
  let context = bySuite.get(suite);
  if (context === undefined) {
    context = { cipherSuite: groupCiphersuite(ctx, suite), authService: sottoAuthenticationService(ctx.primitives), clientConfig: GROUP_CLIENT_CONFIG };
    bySuite.set(suite, context);
  }
  return context;
}
