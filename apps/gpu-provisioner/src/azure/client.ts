/**
 * The ARM client the provider uses. The SDK's own retries are off: a retry loop inside a call
 * would hold the reconcile (and sleep through a 429's Retry-After), while the lifecycle's work
 * queue and the provider's throttle gate already retry with backoff and honour Retry-After.
 */
import type { Agent } from 'node:https';
import { ContainerServiceClient } from '@azure/arm-containerservice';
import type { TokenCredential } from '@azure/core-auth';
import { armErrorBodyPolicy } from './errors.js';

export interface ArmClientOptions {
  /** ARM endpoint: `https://management.azure.com` (default), a sovereign cloud's, or a simulator's. */
  readonly endpoint?: string;
  readonly userAgent?: string;
  /** An https Agent (tests pass one trusting a private CA; production uses NODE_EXTRA_CA_CERTS). */
  readonly agent?: Agent;
}

export function createArmClient(credential: TokenCredential, subscriptionId: string, options: ArmClientOptions = {}): ContainerServiceClient {
  const client = new ContainerServiceClient(credential, subscriptionId, {
    retryOptions: { maxRetries: 0 },
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    ...(options.agent !== undefined ? { agent: options.agent } : {}),
    ...(options.userAgent !== undefined ? { userAgentOptions: { userAgentPrefix: options.userAgent } } : {}),
  });
  client.pipeline.addPolicy(armErrorBodyPolicy);
  return client;
}
