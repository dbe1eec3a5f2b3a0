import { createHash, createPublicKey, JsonWebKey, randomBytes } from 'node:crypto';
import * as forge from 'node-forge';
import * as pkcs11js from 'pkcs11js';
import { encodeDer, oid, sequence, unsignedInteger } from '../cms/der';
import { GeneratedKey, KeyAlgorithm, KeyStore, StoredKey } from './key-store';

export interface Pkcs11KeyStoreOptions {
  /** Path of the PKCS#11 module (e.g. `/usr/lib/softhsm/libsofthsm2.so`). */
  library: string;
  /** The label of the token holding the seal keys (trailing blanks of the token's label are ignored). */
  tokenLabel: string;
  /** The user PIN. */
  pin: string;
}

/** A failure of the key store, naming the token or key it concerns and the PKCS#11 return code if any. */
export class Pkcs11KeyStoreError extends Error {
  override readonly name = 'Pkcs11KeyStoreError';

  constructor(
    message: string,
    /** The `CKR_…` name when a PKCS#11 call failed. */
    readonly returnCode?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const P256_OID = '1.2.840.10045.3.1.7';
const P256_FIELD_BYTES = 32;
const RSA_BITS = 2048;
const RSA_PUBLIC_EXPONENT = Buffer.from([0x01, 0x00, 0x01]);
const ID_BYTES = 16;
const HANDLE_PATTERN = /^[0-9a-f]{32}$/;

/** Return codes meaning a cached object handle no longer points at the key: look it up again. */
const STALE_OBJECT_CODES = new Set(['CKR_OBJECT_HANDLE_INVALID', 'CKR_KEY_HANDLE_INVALID']);

/**
 * Return codes meaning the session (or the login on it) is gone, e.g. the HSM restarted: the call
 * fails, and the next one opens afresh rather than failing the same way until the process restarts.
 */
const LOST_SESSION_CODES = new Set([
  'CKR_SESSION_HANDLE_INVALID',
  'CKR_SESSION_CLOSED',
  'CKR_USER_NOT_LOGGED_IN',
  'CKR_DEVICE_REMOVED',
  'CKR_TOKEN_NOT_PRESENT',
  'CKR_CRYPTOKI_NOT_INITIALIZED',
]);

/** Libraries initialized by a store of this process: `C_Initialize` is process-wide for a module. */
const initializedLibraries = new Set<string>();

interface Session {
  module: pkcs11js.PKCS11;
  session: Buffer;
}

interface PrivateKeyObject {
  object: Buffer;
  algorithm: KeyAlgorithm;
}

/**
 * The key store on a PKCS#11 token (an HSM; SoftHSM2 in tests). Keys are made in the token as
 * sensitive, non-extractable objects; the handle is the hex of the CKA_ID both halves share.
 *
 * One session serves the whole store and every call on it goes through one queue: a PKCS#11 session
 * runs one operation at a time (C_SignInit … C_Sign must not interleave). Slow calls (key generation,
 * signing) use pkcs11js's async variants so the event loop keeps serving while the token works.
 *
 * A PKCS#11 module is initialized once per process and login state is per token and application, so
 * a process opens at most one store per library; a second one fails with a clear error.
 */
export class Pkcs11KeyStore implements KeyStore {
  readonly kind = 'pkcs11' as const;

  private opening?: Promise<Session>;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly objects = new Map<string, PrivateKeyObject>();

  constructor(private readonly options: Pkcs11KeyStoreOptions) {}

  async generate(algorithm: KeyAlgorithm, label: string): Promise<GeneratedKey> {
    return this.serialize(async ({ module, session }) => {
      const id = randomBytes(ID_BYTES);
      const handle = id.toString('hex');
      const common: pkcs11js.Template = [
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_ID, value: id },
        { type: pkcs11js.CKA_LABEL, value: label },
      ];
      const privateTemplate: pkcs11js.Template = [
        ...common,
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
        { type: pkcs11js.CKA_PRIVATE, value: true },
        { type: pkcs11js.CKA_SENSITIVE, value: true },
        { type: pkcs11js.CKA_EXTRACTABLE, value: false },
        { type: pkcs11js.CKA_SIGN, value: true },
        { type: pkcs11js.CKA_DECRYPT, value: false },
        { type: pkcs11js.CKA_UNWRAP, value: false },
        { type: pkcs11js.CKA_DERIVE, value: false },
      ];
      const publicTemplate: pkcs11js.Template = [
        ...common,
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
        { type: pkcs11js.CKA_PRIVATE, value: false },
        { type: pkcs11js.CKA_VERIFY, value: true },
        { type: pkcs11js.CKA_ENCRYPT, value: false },
        { type: pkcs11js.CKA_WRAP, value: false },
      ];
      let mechanism: number;
      switch (algorithm) {
        case 'ec-p256':
          mechanism = pkcs11js.CKM_EC_KEY_PAIR_GEN;
          publicTemplate.push({ type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_EC });
          publicTemplate.push({ type: pkcs11js.CKA_EC_PARAMS, value: p256Parameters() });
          privateTemplate.push({ type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_EC });
          break;
        case 'rsa-2048':
          mechanism = pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN;
          publicTemplate.push({ type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_RSA });
          publicTemplate.push({ type: pkcs11js.CKA_MODULUS_BITS, value: RSA_BITS });
          publicTemplate.push({ type: pkcs11js.CKA_PUBLIC_EXPONENT, value: RSA_PUBLIC_EXPONENT });
          privateTemplate.push({ type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_RSA });
          break;
        default:
          throw new Pkcs11KeyStoreError(`Unsupported key algorithm ${String(algorithm satisfies never)}`);
      }

      const pair = await this.call(`generating ${algorithm} key "${label}"`, () =>
        module.C_GenerateKeyPairAsync(session, { mechanism }, publicTemplate, privateTemplate),
      );
      try {
        const publicKeySpki = this.call(`reading the public key of "${label}" (${handle})`, () =>
          algorithm === 'ec-p256' ? ecSpki(module, session, pair.publicKey) : rsaSpki(module, session, pair.publicKey),
        );
        this.objects.set(handle, { object: pair.privateKey, algorithm });
        return { algorithm, handle, publicKeySpki };
      } catch (error) {
        // A key pair whose public half cannot be read is unusable: do not leave it in the token.
        for (const object of [pair.privateKey, pair.publicKey]) {
          try {
            module.C_DestroyObject(session, object);
          } catch {
            // The original error is the one worth reporting.
          }
        }
        throw error;
      }
    });
  }

  async sign(key: StoredKey, data: Uint8Array): Promise<Buffer> {
    const id = parseHandle(key.handle);
    return this.serialize(async (open) => {
      try {
        return await this.signOnce(open, key, id, data);
      } catch (error) {
        if (!(error instanceof Pkcs11KeyStoreError) || !STALE_OBJECT_CODES.has(error.returnCode ?? '')) throw error;
        // The object was deleted or re-created behind the cached handle (another session): look again.
        this.objects.delete(key.handle);
        return this.signOnce(open, key, id, data);
      }
    });
  }

  async destroy(key: StoredKey): Promise<void> {
    const id = parseHandle(key.handle);
    return this.serialize(async ({ module, session }) => {
      this.objects.delete(key.handle);
      const found = this.call(`finding key ${key.handle}`, () =>
        findObjects(module, session, [{ type: pkcs11js.CKA_ID, value: id }]),
      );
      for (const object of found) {
        this.call(`destroying key ${key.handle}`, () => module.C_DestroyObject(session, object));
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Let calls already queued finish first; their failures are their callers' to see.
    await this.queue.catch(() => undefined);
    const opening = this.opening;
    this.opening = undefined;
    this.objects.clear();
    if (!opening) return;
    const open = await opening.catch(() => undefined);
    if (open) this.shutdown(open, true);
  }

  private async signOnce({ module, session }: Session, key: StoredKey, id: Buffer, data: Uint8Array): Promise<Buffer> {
    const privateKey = this.privateKey(module, session, key, id);
    const what = `signing with key ${key.handle}`;
    if (key.algorithm === 'ec-p256') {
      const digest = createHash('sha256').update(data).digest();
      this.call(what, () => module.C_SignInit(session, { mechanism: pkcs11js.CKM_ECDSA }, privateKey.object));
      const raw = await this.call(what, () => module.C_SignAsync(session, digest, Buffer.alloc(2 * P256_FIELD_BYTES)));
      return ecdsaSignatureToDer(raw);
    }
    this.call(what, () => module.C_SignInit(session, { mechanism: pkcs11js.CKM_SHA256_RSA_PKCS }, privateKey.object));
    return this.call(what, () => module.C_SignAsync(session, Buffer.from(data), Buffer.alloc(RSA_BITS / 8)));
  }

  private privateKey(module: pkcs11js.PKCS11, session: Buffer, key: StoredKey, id: Buffer): PrivateKeyObject {
    let found = this.objects.get(key.handle);
    if (!found) {
      const objects = this.call(`finding key ${key.handle}`, () =>
        findObjects(module, session, [
          { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
          { type: pkcs11js.CKA_ID, value: id },
        ]),
      );
      if (objects.length === 0) {
        throw new Pkcs11KeyStoreError(
          `No private key with id ${key.handle} on token "${this.options.tokenLabel}" (destroyed, or made on another token)`,
        );
      }
      if (objects.length > 1) {
        throw new Pkcs11KeyStoreError(
          `${objects.length} private keys share id ${key.handle} on token "${this.options.tokenLabel}"`,
        );
      }
      const [typeAttribute] = this.call(`reading the type of key ${key.handle}`, () =>
        module.C_GetAttributeValue(session, objects[0], [{ type: pkcs11js.CKA_KEY_TYPE }]),
      );
      const keyType = readUlong(typeAttribute.value);
      const algorithm = keyType === pkcs11js.CKK_EC ? 'ec-p256' : keyType === pkcs11js.CKK_RSA ? 'rsa-2048' : undefined;
      if (!algorithm) {
        throw new Pkcs11KeyStoreError(`Key ${key.handle} has unsupported CKA_KEY_TYPE 0x${keyType.toString(16)}`);
      }
      found = { object: objects[0], algorithm };
      this.objects.set(key.handle, found);
    }
    if (found.algorithm !== key.algorithm) {
      throw new Pkcs11KeyStoreError(
        `Key ${key.handle} is an ${found.algorithm} key in the token, but the caller says ${key.algorithm}`,
      );
    }
    return found;
  }

  /** Runs `work` after every earlier call has settled, on the one session. */
  private serialize<T>(work: (open: Session) => Promise<T>): Promise<T> {
    if (this.closed) {
      return Promise.reject(
        new Pkcs11KeyStoreError(`The PKCS#11 key store for token "${this.options.tokenLabel}" is closed`),
      );
    }
    const result = this.queue.then(async () => {
      const open = await this.open();
      try {
        return await work(open);
      } catch (error) {
        if (error instanceof Pkcs11KeyStoreError && LOST_SESSION_CODES.has(error.returnCode ?? '')) this.reset(open);
        throw error;
      }
    });
    this.queue = result.catch(() => undefined);
    return result;
  }

  private reset(open: Session): void {
    this.opening = undefined;
    this.objects.clear();
    this.shutdown(open, true);
  }

  private open(): Promise<Session> {
    // A failed open is not cached: the next call tries again (the token may have been plugged in meanwhile).
    this.opening ??= Promise.resolve()
      .then(() => this.openNow())
      .catch((error: unknown) => {
        this.opening = undefined;
        throw error;
      });
    return this.opening;
  }

  private openNow(): Session {
    const { library, tokenLabel, pin } = this.options;
    if (initializedLibraries.has(library)) {
      throw new Pkcs11KeyStoreError(
        `PKCS#11 module ${library} is already in use by another key store in this process: close it first`,
      );
    }
    const module = new pkcs11js.PKCS11();
    this.call(`loading PKCS#11 module ${library}`, () => module.load(library));
    try {
      this.call(`initializing PKCS#11 module ${library}`, () =>
        module.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK }),
      );
    } catch (error) {
      module.close();
      throw error;
    }
    initializedLibraries.add(library);

    let session: Buffer | undefined;
    try {
      const slot = this.findSlot(module);
      session = this.call(`opening a session on token "${tokenLabel}"`, () =>
        module.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION),
      );
      const opened = session;
      this.call(`logging in to token "${tokenLabel}"`, () => module.C_Login(opened, pkcs11js.CKU_USER, pin));
      return { module, session };
    } catch (error) {
      this.shutdown({ module, session }, false);
      throw error;
    }
  }

  private findSlot(module: pkcs11js.PKCS11): Buffer {
    const { library, tokenLabel } = this.options;
    const slots = this.call('listing slots', () => module.C_GetSlotList(true));
    const labels: string[] = [];
    const matching: Buffer[] = [];
    for (const slot of slots) {
      const label = this.call('reading token information', () => module.C_GetTokenInfo(slot)).label.trimEnd();
      labels.push(label);
      if (label === tokenLabel) matching.push(slot);
    }
    if (matching.length === 0) {
      const present = labels.length ? labels.map((label) => `"${label}"`).join(', ') : 'none';
      throw new Pkcs11KeyStoreError(
        `No PKCS#11 token labelled "${tokenLabel}" in ${library} (tokens present: ${present})`,
      );
    }
    if (matching.length > 1) {
      throw new Pkcs11KeyStoreError(`${matching.length} PKCS#11 tokens are labelled "${tokenLabel}" in ${library}`);
    }
    return matching[0];
  }

  /** Best-effort teardown: logging out, closing and finalizing must all be tried whatever fails. */
  private shutdown({ module, session }: { module: pkcs11js.PKCS11; session?: Buffer }, loggedIn: boolean): void {
    const attempts: Array<() => void> = [];
    if (session) {
      if (loggedIn) attempts.push(() => module.C_Logout(session));
      attempts.push(() => module.C_CloseSession(session));
    }
    attempts.push(() => module.C_Finalize());
    attempts.push(() => module.close());
    for (const attempt of attempts) {
      try {
        attempt();
      } catch {
        // Nothing useful to do while tearing down.
      }
    }
    initializedLibraries.delete(this.options.library);
  }

  /** Runs a PKCS#11 call, turning its failure into an error that says what was being done. */
  private call<T>(what: string, fn: () => T): T {
    let result: T;
    try {
      result = fn();
    } catch (error) {
      throw this.wrap(what, error);
    }
    if (result instanceof Promise) {
      return result.catch((error: unknown) => {
        throw this.wrap(what, error);
      }) as T;
    }
    return result;
  }

  private wrap(what: string, error: unknown): Error {
    if (error instanceof Pkcs11KeyStoreError) return error;
    if (error instanceof pkcs11js.Pkcs11Error) {
      return new Pkcs11KeyStoreError(
        `PKCS#11 ${error.method || 'call'} failed with ${error.message} while ${what} (token "${this.options.tokenLabel}")`,
        error.message,
        { cause: error },
      );
    }
    const message = error instanceof Error ? error.message : String(error);
    return new Pkcs11KeyStoreError(
      `PKCS#11 failure while ${what} (token "${this.options.tokenLabel}"): ${message}`,
      undefined,
      {
        cause: error,
      },
    );
  }
}

function parseHandle(handle: string): Buffer {
  if (!HANDLE_PATTERN.test(handle)) {
    throw new Pkcs11KeyStoreError(`"${handle}" is not a PKCS#11 key handle (32 lowercase hex digits of CKA_ID)`);
  }
  return Buffer.from(handle, 'hex');
}

function findObjects(module: pkcs11js.PKCS11, session: Buffer, template: pkcs11js.Template): Buffer[] {
  module.C_FindObjectsInit(session, template);
  try {
    const found: Buffer[] = [];
    for (let batch = module.C_FindObjects(session, 16); batch.length > 0; batch = module.C_FindObjects(session, 16)) {
      found.push(...batch);
    }
    return found;
  } finally {
    module.C_FindObjectsFinal(session);
  }
}

/** CKA_EC_PARAMS: the DER `namedCurve` OBJECT IDENTIFIER of prime256v1 (RFC 5480 ECParameters). */
function p256Parameters(): Buffer {
  return encodeDer(oid(P256_OID));
}

function ecSpki(module: pkcs11js.PKCS11, session: Buffer, publicKey: Buffer): Buffer {
  const [attribute] = module.C_GetAttributeValue(session, publicKey, [{ type: pkcs11js.CKA_EC_POINT }]);
  const point = unwrapEcPoint(attribute.value);
  if (point.length !== 1 + 2 * P256_FIELD_BYTES || point[0] !== 0x04) {
    throw new Error(`CKA_EC_POINT is not an uncompressed P-256 point (${point.length} bytes)`);
  }
  const jwk: JsonWebKey = {
    kty: 'EC',
    crv: 'P-256',
    x: point.subarray(1, 1 + P256_FIELD_BYTES).toString('base64url'),
    y: point.subarray(1 + P256_FIELD_BYTES).toString('base64url'),
  };
  return createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'der' });
}

/**
 * PKCS#11 v2.20+ says CKA_EC_POINT is the DER encoding of an ECPoint OCTET STRING (SoftHSM does so);
 * some older tokens return the bare point, which for P-256 is exactly 65 bytes starting 0x04.
 */
function unwrapEcPoint(value: Buffer): Buffer {
  if (value.length === 1 + 2 * P256_FIELD_BYTES && value[0] === 0x04) return value;
  const asn1 = forge.asn1.fromDer(value.toString('binary'));
  if (asn1.tagClass !== forge.asn1.Class.UNIVERSAL || asn1.type !== forge.asn1.Type.OCTETSTRING) {
    throw new Error('CKA_EC_POINT is neither a bare point nor a DER OCTET STRING');
  }
  return Buffer.from(asn1.value as string, 'binary');
}

function rsaSpki(module: pkcs11js.PKCS11, session: Buffer, publicKey: Buffer): Buffer {
  const [modulus, exponent] = module.C_GetAttributeValue(session, publicKey, [
    { type: pkcs11js.CKA_MODULUS },
    { type: pkcs11js.CKA_PUBLIC_EXPONENT },
  ]);
  const jwk: JsonWebKey = {
    kty: 'RSA',
    n: stripLeadingZeros(modulus.value).toString('base64url'),
    e: stripLeadingZeros(exponent.value).toString('base64url'),
  };
  return createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'der' });
}

/** CKM_ECDSA yields r‖s, each the field size; X.509 and CMS want `ECDSA-Sig-Value ::= SEQUENCE { r, s INTEGER }` (RFC 3279 §2.2.3). */
function ecdsaSignatureToDer(raw: Buffer): Buffer {
  if (raw.length !== 2 * P256_FIELD_BYTES) {
    throw new Pkcs11KeyStoreError(`CKM_ECDSA returned ${raw.length} bytes, expected ${2 * P256_FIELD_BYTES}`);
  }
  return encodeDer(
    sequence([unsignedInteger(raw.subarray(0, P256_FIELD_BYTES)), unsignedInteger(raw.subarray(P256_FIELD_BYTES))]),
  );
}

/** A CK_ULONG attribute as pkcs11js returns it: native-endian (little on x86-64 and arm64), 8 bytes on LP64. */
function readUlong(value: Buffer): number {
  return value.length === 8 ? Number(value.readBigUInt64LE()) : value.readUInt32LE();
}

function stripLeadingZeros(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  return bytes.subarray(start);
}
