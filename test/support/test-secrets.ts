import { randomBytes } from 'node:crypto';
import { PiiCipher } from '@zhengming/pii';

/** Fresh secrets per test process: nothing secret is committed, and every test database gets its own keys. */
export const TEST_SECRETS = {
  PII_ENCRYPTION_KEYS: `t1:${randomBytes(32).toString('base64')}`,
  PII_HASH_KEY: randomBytes(32).toString('base64'),
  OIDC_CLIENT_SECRET: randomBytes(24).toString('base64url'),
  IDP_SIM_PASSWORD: randomBytes(9).toString('base64url'),
  KEY_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
  POWER_GRID_HMAC_SECRET: randomBytes(32).toString('base64url'),
} as const;

export function testCipher(): PiiCipher {
  const [id, key] = TEST_SECRETS.PII_ENCRYPTION_KEYS.split(':');
  return new PiiCipher({
    encryptionKeys: new Map([[id, Buffer.from(key, 'base64')]]),
    activeKeyId: id,
    hashKey: Buffer.from(TEST_SECRETS.PII_HASH_KEY, 'base64'),
  });
}
