import { ConfigError, type Config, loadConfig } from '../config/env';

type Service = 'DATABASE_URL' | 'TEMPORAL_ADDRESS' | 'SMTP_URL';

/** Loads the configuration for a single production process, which needs its services named. */
export function productionConfig(required: Service[]): Config & Record<Service, string> {
  try {
    const config = loadConfig();
    const missing = required.filter((name) => !config[name]);
    if (missing.length > 0) throw new ConfigError(`invalid configuration:\n${missing.map((name) => `  ${name}: required for this process (npm start starts embedded services instead)`).join('\n')}`);
    return config as Config & Record<Service, string>;
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  }
}
