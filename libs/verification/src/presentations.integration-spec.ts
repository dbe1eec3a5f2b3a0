import { randomBytes, X509Certificate } from 'node:crypto';
import type { HttpConfig, SigningConfig, VerificationConfig } from '@zhengming/config';
import { PkiService, SigningKeysService, SoftwareKeyStore } from '@zhengming/signing';
import { openMigratedDataSource } from '../../../test/support/test-database';
import { PresentationsService } from './presentations.service';
import type { VerificationService } from './verification.service';

const DAY = 24 * 3600 * 1000;

/**
 * Key rollover as an offline verifier depends on it: the trust list holds the key that signs now,
 * announces its successor a week before the switch, and keeps a retired key until the last token it
 * could have signed has expired.
 */
describe('PresentationsService trust list', () => {
  let close: () => Promise<void>;
  let service: PresentationsService;

  beforeAll(async () => {
    const opened = await openMigratedDataSource('presentation_keys');
    close = opened.close;
    const store = new SoftwareKeyStore({ keys: new Map([['k1', randomBytes(32)]]), activeKeyId: 'k1' });
    const keys = new SigningKeysService(store, { algorithm: 'rsa-2048' } as SigningConfig);
    const pki = new PkiService(opened.dataSource, keys);
    await pki.initialize();
    const config: VerificationConfig = { publicPerMinute: 60, pdfMaxBytes: 1 << 20, presentationTtlSeconds: 300 };
    // Only present() reads certificates; the trust list never does.
    const unused = {} as VerificationService;
    const http = { publicBaseUrl: 'https://zm.example' } as HttpConfig;
    service = new PresentationsService(opened.dataSource, keys, pki, unused, config, http);
  });
  afterAll(() => close?.());

  const kids = (list: { keys: { kid: string }[] }) => list.keys.map((k) => k.kid);

  it('rolls keys over: announced a week ahead, retired once their last token has expired', async () => {
    const start = Date.now();
    const first = await service.trustList(start);
    expect(first.keys).toHaveLength(1);
    const [key] = first.keys;
    // ES256 even where the seals use RSA: the token format fixes the algorithm.
    expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(key.exp - key.nbf).toBe(30 * 24 * 3600);
    expect(first.certificates.map((c) => c.role)).toEqual(['root', 'issuing']);
    expect(new X509Certificate(first.certificates[0].pem).subject).toContain('增城区电子证明根证书');

    // Eight days before the switch nothing new; six days before, the successor is published.
    expect(kids(await service.trustList(key.exp * 1000 - 8 * DAY))).toEqual([key.kid]);
    const announced = await service.trustList(key.exp * 1000 - 6 * DAY);
    expect(announced.keys).toHaveLength(2);
    const successor = announced.keys[1];
    expect(successor.nbf).toBe(key.exp);

    // After the switch both are listed while tokens of the old key may still be alive, then only the new one.
    expect(kids(await service.trustList(key.exp * 1000 + 60_000))).toEqual([key.kid, successor.kid]);
    expect(kids(await service.trustList(key.exp * 1000 + 301_000))).toEqual([successor.kid]);
  });
});
