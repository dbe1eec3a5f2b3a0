import { execFile } from 'node:child_process';
import { createPublicKey, KeyObject, randomBytes, verify } from 'node:crypto';
import { promisify } from 'node:util';
import * as pkcs11js from 'pkcs11js';
import { createSoftHsmToken, SoftHsmToken } from '../../../../test/support/softhsm';
import { GeneratedKey, KEY_ALGORITHMS } from './key-store';
import { Pkcs11KeyStore, Pkcs11KeyStoreError } from './pkcs11-key-store';

const run = promisify(execFile);

/**
 * A real PKCS#11 module (SoftHSM2) over a throw-away token. Without softhsm2 installed these fail
 * (createSoftHsmToken says what to install): CI installs it, and a skipped HSM test proves nothing.
 */
describe(Pkcs11KeyStore.name, () => {
  let token: SoftHsmToken;
  let sut: Pkcs11KeyStore;

  const openStore = (overrides: Partial<{ tokenLabel: string; pin: string }> = {}) =>
    new Pkcs11KeyStore({ library: token.library, tokenLabel: token.tokenLabel, pin: token.pin, ...overrides });

  /** pkcs11-tool (OpenSC) in a child process: a second, independent PKCS#11 client of the same token. */
  const pkcs11Tool = async (...args: string[]) => {
    try {
      const { stdout } = await run('pkcs11-tool', [
        '--module',
        token.library,
        '--token-label',
        token.tokenLabel,
        ...args,
      ]);
      return { ok: true, output: stdout };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new Error('pkcs11-tool was not found on PATH: install opensc (Debian/Ubuntu: `apt-get install opensc`)');
      }
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      return { ok: false, output: `${stdout}${stderr}` };
    }
  };

  /** A bare pkcs11js session on the token, for looking at what the store made (the store must be closed). */
  const withRawSession = <T>(work: (module: pkcs11js.PKCS11, session: Buffer) => T): T => {
    const module = new pkcs11js.PKCS11();
    module.load(token.library);
    module.C_Initialize();
    try {
      const slot = module
        .C_GetSlotList(true)
        .find((candidate) => module.C_GetTokenInfo(candidate).label.trimEnd() === token.tokenLabel);
      if (!slot) throw new Error(`token ${token.tokenLabel} not found`);
      const session = module.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
      module.C_Login(session, pkcs11js.CKU_USER, token.pin);
      try {
        return work(module, session);
      } finally {
        module.C_Logout(session);
        module.C_CloseSession(session);
      }
    } finally {
      module.C_Finalize();
      module.close();
    }
  };

  beforeAll(async () => {
    token = await createSoftHsmToken();
  });

  afterAll(async () => {
    await sut?.close();
    await token?.dispose();
  });

  beforeEach(() => {
    // Without a token beforeAll has failed already, with the message that matters.
    if (token) sut = openStore();
  });

  afterEach(async () => {
    await sut?.close();
  });

  it('makes a P-256 key in the token and returns its SubjectPublicKeyInfo', async () => {
    const key = await sut.generate('ec-p256', 'SEAL-EC-1');

    expect(key).toMatchObject({ algorithm: 'ec-p256', handle: expect.stringMatching(/^[0-9a-f]{32}$/) });
    const publicKey = createPublicKey({ key: key.publicKeySpki, format: 'der', type: 'spki' });
    expect(publicKey.asymmetricKeyType).toBe('ec');
    expect(publicKey.asymmetricKeyDetails).toEqual({ namedCurve: 'prime256v1' });
  });

  it('makes an RSA-2048 key in the token and returns its SubjectPublicKeyInfo', async () => {
    const key = await sut.generate('rsa-2048', 'SEAL-RSA-1');

    expect(key).toMatchObject({ algorithm: 'rsa-2048', handle: expect.stringMatching(/^[0-9a-f]{32}$/) });
    const publicKey = createPublicKey({ key: key.publicKeySpki, format: 'der', type: 'spki' });
    expect(publicKey.asymmetricKeyType).toBe('rsa');
    expect(publicKey.asymmetricKeyDetails).toEqual({ modulusLength: 2048, publicExponent: 65537n });
  });

  it.each(KEY_ALGORITHMS)('signs with a %s key so that the public key verifies the signature', async (algorithm) => {
    const key = await sut.generate(algorithm, `SEAL-${algorithm}`);
    const data = Buffer.from('正明 · 居住证明 No. 2026-000123');

    const signature = await sut.sign(key, data);

    expect(verify('sha256', data, spki(key), signature)).toBe(true);
    expect(verify('sha256', Buffer.from('tampered'), spki(key), signature)).toBe(false);
  });

  it.each(KEY_ALGORITHMS)('keeps the %s private key sensitive and unextractable', async (algorithm) => {
    const key = await sut.generate(algorithm, `SEAL-NOEXPORT-${algorithm}`);

    const objects = await pkcs11Tool(
      '--login',
      '--pin',
      token.pin,
      '--list-objects',
      '--type',
      'privkey',
      '--id',
      key.handle,
    );
    expect(objects.ok).toBe(true);
    expect(objects.output).toContain(`label:      SEAL-NOEXPORT-${algorithm}`);
    expect(objects.output).toMatch(/Access:\s+sensitive, always sensitive, never extractable/);

    // The same through the PKCS#11 API: the flags hold, and reading the secret is refused.
    await sut.close();
    const secret = algorithm === 'ec-p256' ? pkcs11js.CKA_VALUE : pkcs11js.CKA_PRIVATE_EXPONENT;
    const seen = withRawSession((module, session) => {
      module.C_FindObjectsInit(session, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
        { type: pkcs11js.CKA_ID, value: Buffer.from(key.handle, 'hex') },
      ]);
      const [object] = module.C_FindObjects(session, 2);
      module.C_FindObjectsFinal(session);
      const flags = module
        .C_GetAttributeValue(session, object, [
          { type: pkcs11js.CKA_SENSITIVE },
          { type: pkcs11js.CKA_EXTRACTABLE },
          { type: pkcs11js.CKA_ALWAYS_SENSITIVE },
          { type: pkcs11js.CKA_NEVER_EXTRACTABLE },
        ])
        .map(({ value }) => value[0] === 1);
      let readError: unknown;
      try {
        module.C_GetAttributeValue(session, object, [{ type: secret }]);
      } catch (error) {
        readError = error;
      }
      return { flags, readError };
    });
    expect(seen.flags).toEqual([true, false, true, true]);
    expect(seen.readError).toBeInstanceOf(pkcs11js.Pkcs11Error);
    expect(seen.readError).toMatchObject({ message: 'CKR_ATTRIBUTE_SENSITIVE' });
  });

  it('finds a key again after the store is closed and reopened', async () => {
    const ec = await sut.generate('ec-p256', 'SEAL-PERSIST-EC');
    const rsa = await sut.generate('rsa-2048', 'SEAL-PERSIST-RSA');
    await sut.close();

    sut = openStore();
    const data = randomBytes(100);
    expect(verify('sha256', data, spki(ec), await sut.sign({ algorithm: ec.algorithm, handle: ec.handle }, data))).toBe(
      true,
    );
    expect(
      verify('sha256', data, spki(rsa), await sut.sign({ algorithm: rsa.algorithm, handle: rsa.handle }, data)),
    ).toBe(true);
  });

  it('forgets a destroyed key: signing with it then fails, naming the key', async () => {
    const key = await sut.generate('ec-p256', 'SEAL-LOST-RACE');
    await sut.sign(key, Buffer.from('warm the object cache'));

    await sut.destroy(key);

    const error = await sut.sign(key, Buffer.from('too late')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Pkcs11KeyStoreError);
    expect((error as Error).message).toContain(`No private key with id ${key.handle}`);
    const remaining = await pkcs11Tool('--login', '--pin', token.pin, '--list-objects', '--id', key.handle);
    expect(remaining.output).not.toContain('SEAL-LOST-RACE');
    await expect(sut.destroy(key)).resolves.toBeUndefined();
  });

  it('reports a key deleted by another PKCS#11 client as missing', async () => {
    const key = await sut.generate('ec-p256', 'SEAL-DELETED-ELSEWHERE');
    await sut.sign(key, Buffer.from('warm the object cache'));

    const deleted = await pkcs11Tool(
      '--login',
      '--pin',
      token.pin,
      '--delete-object',
      '--type',
      'privkey',
      '--id',
      key.handle,
    );
    expect(deleted.ok).toBe(true);

    await expect(sut.sign(key, Buffer.from('after'))).rejects.toThrow(`No private key with id ${key.handle}`);
  });

  it('fails one call when the token drops its session, then opens a new one', async () => {
    const key = await sut.generate('ec-p256', 'SEAL-SESSION-LOST');
    // Stand-in for an HSM restart: close every session of this application on the token, behind the store.
    const intruder = new pkcs11js.PKCS11();
    intruder.load(token.library);
    try {
      intruder.C_Initialize();
    } catch (error) {
      expect(error).toMatchObject({ message: 'CKR_CRYPTOKI_ALREADY_INITIALIZED' });
    }
    const slot = intruder
      .C_GetSlotList(true)
      .find((candidate) => intruder.C_GetTokenInfo(candidate).label.trimEnd() === token.tokenLabel);
    intruder.C_CloseAllSessions(slot!);
    intruder.close();

    const error = await sut.sign(key, Buffer.from('during')).catch((e: unknown) => e);
    expect(error).toMatchObject({ returnCode: 'CKR_SESSION_HANDLE_INVALID' });

    const data = Buffer.from('after');
    expect(verify('sha256', data, spki(key), await sut.sign(key, data))).toBe(true);
  });

  it('refuses a key whose stored algorithm does not match the token', async () => {
    const key = await sut.generate('ec-p256', 'SEAL-MISLABELLED');

    await expect(sut.sign({ ...key, algorithm: 'rsa-2048' }, Buffer.from('x'))).rejects.toThrow(
      `Key ${key.handle} is an ec-p256 key in the token, but the caller says rsa-2048`,
    );
  });

  it('rejects a malformed handle without touching the token', async () => {
    await expect(sut.sign({ algorithm: 'ec-p256', handle: 'not-hex' }, Buffer.from('x'))).rejects.toThrow(
      '"not-hex" is not a PKCS#11 key handle',
    );
  });

  it('fails with a clear error on a wrong PIN, and can still open with the right one', async () => {
    await sut.close();
    const wrong = openStore({ pin: '000000-wrong' });

    const error = await wrong.generate('ec-p256', 'NEVER').catch((e: unknown) => e);
    await wrong.close();

    expect(error).toBeInstanceOf(Pkcs11KeyStoreError);
    expect(error).toMatchObject({ returnCode: 'CKR_PIN_INCORRECT' });
    expect((error as Error).message).toContain(`C_Login failed with CKR_PIN_INCORRECT`);
    expect((error as Error).message).toContain(`token "${token.tokenLabel}"`);

    sut = openStore();
    await expect(sut.generate('ec-p256', 'AFTER-WRONG-PIN')).resolves.toMatchObject({ algorithm: 'ec-p256' });
  });

  it('fails with a clear error naming an unknown token label', async () => {
    await sut.close();
    const missing = openStore({ tokenLabel: 'no-such-token' });

    const error = await missing.generate('ec-p256', 'NEVER').catch((e: unknown) => e);
    await missing.close();

    expect(error).toBeInstanceOf(Pkcs11KeyStoreError);
    expect((error as Error).message).toContain('No PKCS#11 token labelled "no-such-token"');
    expect((error as Error).message).toContain(`"${token.tokenLabel}"`);
  });

  it('refuses a second store on the same module in one process', async () => {
    await sut.generate('ec-p256', 'FIRST-STORE');
    const second = openStore();

    await expect(second.generate('ec-p256', 'SECOND-STORE')).rejects.toThrow('already in use by another key store');
    await second.close();
  });

  it('refuses calls after close', async () => {
    await sut.close();

    await expect(sut.generate('ec-p256', 'CLOSED')).rejects.toThrow('is closed');
    await expect(sut.close()).resolves.toBeUndefined();
  });

  it('signs 50 concurrent requests on one session, each verifiable', async () => {
    const keys = [await sut.generate('ec-p256', 'SEAL-CONC-EC'), await sut.generate('rsa-2048', 'SEAL-CONC-RSA')];
    const requests = Array.from({ length: 50 }, (_, i) => ({ key: keys[i % 2], data: randomBytes(64 + i) }));

    const signatures = await Promise.all(requests.map(({ key, data }) => sut.sign(key, data)));

    signatures.forEach((signature, i) => {
      const { key, data } = requests[i];
      expect(verify('sha256', data, spki(key), signature)).toBe(true);
    });
  });
});

function spki(key: GeneratedKey): KeyObject {
  return createPublicKey({ key: key.publicKeySpki, format: 'der', type: 'spki' });
}
