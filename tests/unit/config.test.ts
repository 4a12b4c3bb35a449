import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config/env';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { temporalTarget } from '../../config/temporal';

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

  it("turns on TLS for Temporal Cloud API keys (envconfig's standard variables)", () => {
    const target = temporalTarget({
      TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'ns.acct',
      TEMPORAL_API_KEY: 'key-123',
    });
    expect(target).toEqual({
      settings: { address: 'ns.acct.tmprl.cloud:7233', tls: true, apiKey: 'key-123' },
      namespace: 'ns.acct',
    });
  });

  it('still accepts the former names of the TLS file variables, and prefers the standard ones', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tls-'));
    const file = (name: string) => {
      fs.writeFileSync(path.join(dir, name), `${name} bytes`);
      return path.join(dir, name);
    };
    const target = temporalTarget({
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_TLS_CERT_PATH: file('old.crt'),
      TEMPORAL_TLS_KEY_PATH: file('old.key'),
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: file('ca.pem'),
      TEMPORAL_TLS_CA_PATH: file('old-ca.pem'),
    });
    const tls = target.settings.tls as {
      clientCertPair: { crt: Uint8Array; key: Uint8Array };
      serverRootCACertificate: Uint8Array;
    };
    const text = (bytes: Uint8Array) => Buffer.from(bytes).toString();
    expect(text(tls.clientCertPair.crt)).toBe('old.crt bytes');
    expect(text(tls.clientCertPair.key)).toBe('old.key bytes');
    expect(text(tls.serverRootCACertificate)).toBe('ca.pem bytes');
    expect(target.namespace).toBe('default');
  });

  it('reads a profile from the TOML file named by TEMPORAL_CONFIG_FILE, with variables over it', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'envconfig-')), 'temporal.toml');
    fs.writeFileSync(
      file,
      '[profile.prod]\naddress = "prod.example:7233"\nnamespace = "huikuan-prod"\n\n[profile.prod.grpc_meta]\nx-tenant = "acme"\n',
    );
    expect(temporalTarget({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' })).toEqual({
      settings: { address: 'prod.example:7233', metadata: { 'x-tenant': 'acme' } },
      namespace: 'huikuan-prod',
    });
    expect(
      temporalTarget({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod', TEMPORAL_NAMESPACE: 'other' }).namespace,
    ).toBe('other');
    expect(
      temporalTarget({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' }, '127.0.0.1:7233').settings.address,
    ).toBe('127.0.0.1:7233');
  });

  it('names TEMPORAL_ADDRESS when no address is configured anywhere', () => {
    expect(() => temporalTarget({ TEMPORAL_CONFIG_FILE: '/nonexistent/temporal.toml' })).toThrow(
      /TEMPORAL_ADDRESS: required/,
    );
  });
});
