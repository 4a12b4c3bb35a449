import { ConfigError, type Config, loadConfig } from '../config/env';
import { type TemporalTarget, temporalTarget } from '../config/temporal';

type Service = 'DATABASE_URL' | 'TEMPORAL' | 'SMTP_URL';

export type ProductionConfig = Config & { DATABASE_URL: string; SMTP_URL: string; temporal: TemporalTarget };

/**
 * Loads the configuration for a single production process, which needs its services named; exits with
 * the configuration's problems. Temporal's connection comes from @temporalio/envconfig (config/temporal.ts).
 */
export function productionConfig(required: Service[]): ProductionConfig {
  try {
    const config = loadConfig();
    const missing = required.filter((name) => name !== 'TEMPORAL' && !config[name]);
    if (missing.length > 0)
      throw new ConfigError(
        `invalid configuration:\n${missing.map((name) => `  ${name}: required for this process (npm start starts embedded services instead)`).join('\n')}`,
      );
    const temporal = required.includes('TEMPORAL') ? temporalTarget(process.env) : undefined;
    return { ...config, temporal } as ProductionConfig;
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  }
}
