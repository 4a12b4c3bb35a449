import { loadClientConfigProfile, toClientOptions } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { ConfigError } from './env';

export type TemporalConnectionSettings = Pick<NativeConnectionOptions, 'tls' | 'apiKey' | 'metadata'> & {
  address: string;
};

/** Where the processes connect: a cluster (self-hosted or Temporal Cloud) and the namespace there. */
export interface TemporalTarget {
  settings: TemporalConnectionSettings;
  namespace: string;
}

/** Huikuan's first names for three of envconfig's TLS variables, still accepted when the standard one is not set. */
const FORMER_NAMES: Record<string, string> = {
  TEMPORAL_TLS_CERT_PATH: 'TEMPORAL_TLS_CLIENT_CERT_PATH',
  TEMPORAL_TLS_KEY_PATH: 'TEMPORAL_TLS_CLIENT_KEY_PATH',
  TEMPORAL_TLS_CA_PATH: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
};

function withStandardNames(env: NodeJS.ProcessEnv): Record<string, string> {
  const standard = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => Boolean(entry[1])),
  );
  for (const [former, current] of Object.entries(FORMER_NAMES)) {
    if (standard[former] && !standard[current]) standard[current] = standard[former];
  }
  return standard;
}

/**
 * The Temporal connection read by `@temporalio/envconfig`: its standard variables (TEMPORAL_ADDRESS,
 * TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_GRPC_META_*) over the profile chosen by
 * TEMPORAL_PROFILE in the TOML file at TEMPORAL_CONFIG_FILE (or the default path). `address` replaces
 * both, for the dev server `npm start` runs itself.
 */
export function temporalTarget(env: NodeJS.ProcessEnv = process.env, address?: string): TemporalTarget {
  const { connectionOptions, namespace } = toClientOptions(
    loadClientConfigProfile({ overrideEnvVars: withStandardNames(env) }),
  );
  const chosen = address ?? connectionOptions.address;
  if (!chosen) {
    throw new ConfigError(
      'invalid configuration:\n  TEMPORAL_ADDRESS: required for this process (or an address in the TEMPORAL_PROFILE profile of TEMPORAL_CONFIG_FILE; npm start starts an embedded Temporal server instead)',
    );
  }
  const { tls, apiKey, metadata } = connectionOptions;
  const settings: TemporalConnectionSettings = {
    address: chosen,
    ...(tls ? { tls } : {}),
    ...(apiKey ? { apiKey } : {}),
    ...(metadata ? { metadata } : {}),
  };
  return { settings, namespace: namespace ?? 'default' };
}
