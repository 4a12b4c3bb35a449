import fs from 'node:fs';
import type { Config } from './env';

export interface TemporalConnectionSettings {
  address: string;
  tls?: { clientCertPair?: { crt: Buffer; key: Buffer }; serverRootCACertificate?: Buffer } | boolean;
  apiKey?: string;
}

/** Connection settings for an existing cluster (self-hosted or Temporal Cloud) from the environment. */
export function temporalConnectionSettings(config: Config, address: string): TemporalConnectionSettings {
  const settings: TemporalConnectionSettings = { address };
  if (config.TEMPORAL_TLS_CERT_PATH && config.TEMPORAL_TLS_KEY_PATH) {
    settings.tls = {
      clientCertPair: { crt: fs.readFileSync(config.TEMPORAL_TLS_CERT_PATH), key: fs.readFileSync(config.TEMPORAL_TLS_KEY_PATH) },
      ...(config.TEMPORAL_TLS_CA_PATH ? { serverRootCACertificate: fs.readFileSync(config.TEMPORAL_TLS_CA_PATH) } : {}),
    };
  } else if (config.TEMPORAL_TLS || config.TEMPORAL_API_KEY) {
    settings.tls = true;
  }
  if (config.TEMPORAL_API_KEY) settings.apiKey = config.TEMPORAL_API_KEY;
  return settings;
}
