import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config/env';
import { temporalConnectionSettings } from '../../config/temporal';

describe('configuration from the environment', () => {
  it('has defaults that start everything embedded', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(3000);
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.TEMPORAL_ADDRESS).toBeUndefined();
    expect(config.SMTP_URL).toBeUndefined();
    expect(config.LETTER_SEND_TIME).toBe('09:30');
    expect(config.DEFAULT_TIME_ZONE).toBe('Asia/Shanghai');
  });

  it.each([
    ['PORT', 'abc'],
    ['DATABASE_URL', 'mysql://localhost/db'],
    ['SMTP_URL', 'http://mail'],
    ['LETTER_SEND_TIME', '9:30am'],
    ['DEFAULT_TIME_ZONE', 'Mars/Olympus'],
    ['TEMPORAL_TLS', 'maybe'],
    ['ADMIN_TOKEN', 'short'],
  ])('stops with a message naming %s when it is %s', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^invalid configuration:\\n  ${name}: `));
  });

  it('requires the key with a client certificate', () => {
    expect(() => loadConfig({ TEMPORAL_TLS_CERT_PATH: '/tmp/cert.pem' })).toThrow(/TEMPORAL_TLS_KEY_PATH/);
  });

  it('turns on TLS for Temporal Cloud API keys', () => {
    const config = loadConfig({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'ns.acct', TEMPORAL_API_KEY: 'key-123' });
    expect(temporalConnectionSettings(config, config.TEMPORAL_ADDRESS!)).toEqual({ address: 'ns.acct.tmprl.cloud:7233', tls: true, apiKey: 'key-123' });
    expect(config.TEMPORAL_NAMESPACE).toBe('ns.acct');
  });
});
