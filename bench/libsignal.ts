/**
 * The libsignal side of the crypto benchmark: @signalapp/libsignal-client
 * driven the way an application drives it, with in-memory stores that keep
 * every record serialised (load = deserialize, save = serialize), as a
 * database-backed store would. Sotto's side does the same work with its own
 * codecs (see ./crypto.ts).
 */
import {
  CiphertextMessageType,
  IdentityChange,
  IdentityKeyPair,
  IdentityKeyStore,
  KEMKeyPair,
  KyberPreKeyRecord,
  KyberPreKeyStore,
  PreKeyBundle,
  PreKeyRecord,
  PreKeySignalMessage,
  PreKeyStore,
  PrivateKey,
  processPreKeyBundle,
  ProtocolAddress,
  SessionRecord,
  SessionStore,
  SignalMessage,
  signalDecrypt,
  signalDecryptPreKey,
  signalEncrypt,
  SignedPreKeyRecord,
  SignedPreKeyStore,
  type PublicKey,
} from '@signalapp/libsignal-client';
import type { Contender, Conversation, Plaintext } from './crypto.ts';

/** Every benchmark party has one device. */
const DEVICE_ID = 1;
const ALICE_REGISTRATION_ID = 1001;
const BOB_REGISTRATION_ID = 1002;

/** Session records by address, kept serialised. */
export class InMemorySessionStore extends SessionStore {
  readonly #records = new Map<string, Uint8Array<ArrayBuffer>>();

  override async saveSession(address: ProtocolAddress, record: SessionRecord): Promise<void> {
    this.#records.set(address.toString(), record.serialize());
  }

  override async getSession(address: ProtocolAddress): Promise<SessionRecord | null> {
    const bytes = this.#records.get(address.toString());
    return bytes ? SessionRecord.deserialize(bytes) : null;
  }

  override async getExistingSessions(addresses: ProtocolAddress[]): Promise<SessionRecord[]> {
    return addresses.map((address) => {
      const bytes = this.#records.get(address.toString());
      if (!bytes) throw new Error(`no session with ${address.toString()}`);
      return SessionRecord.deserialize(bytes);
    });
  }

  /** Size of the stored record for `address` (0 when none). */
  recordBytes(address: ProtocolAddress): number {
    return this.#records.get(address.toString())?.length ?? 0;
  }
}

/** Our identity and the identities of contacts (trust on first use). */
export class InMemoryIdentityKeyStore extends IdentityKeyStore {
  readonly #known = new Map<string, PublicKey>();

  constructor(
    readonly identity: IdentityKeyPair,
    readonly registrationId: number,
  ) {
    super();
  }

  override async getIdentityKey(): Promise<PrivateKey> {
    return this.identity.privateKey;
  }

  /** Returns the stored pair instead of re-deriving the public key on every call. */
  override async getIdentityKeyPair(): Promise<IdentityKeyPair> {
    return this.identity;
  }

  override async getLocalRegistrationId(): Promise<number> {
    return this.registrationId;
  }

  override async saveIdentity(address: ProtocolAddress, key: PublicKey): Promise<IdentityChange> {
    const name = address.toString();
    const known = this.#known.get(name);
    this.#known.set(name, key);
    return known && !known.equals(key) ? IdentityChange.ReplacedExisting : IdentityChange.NewOrUnchanged;
  }

  override async isTrustedIdentity(address: ProtocolAddress, key: PublicKey): Promise<boolean> {
    const known = this.#known.get(address.toString());
    return !known || known.equals(key);
  }

  override async getIdentity(address: ProtocolAddress): Promise<PublicKey | null> {
    return this.#known.get(address.toString()) ?? null;
  }
}

function missing(kind: string, id: number): Error {
  return new Error(`no ${kind} prekey ${id}`);
}

/** One-time EC prekeys, kept serialised. */
export class InMemoryPreKeyStore extends PreKeyStore {
  readonly #records = new Map<number, Uint8Array<ArrayBuffer>>();

  override async savePreKey(id: number, record: PreKeyRecord): Promise<void> {
    this.#records.set(id, record.serialize());
  }

  override async getPreKey(id: number): Promise<PreKeyRecord> {
    const bytes = this.#records.get(id);
    if (!bytes) throw missing('one-time', id);
    return PreKeyRecord.deserialize(bytes);
  }

  override async removePreKey(id: number): Promise<void> {
    this.#records.delete(id);
  }
}

/** Signed EC prekeys, kept serialised. */
export class InMemorySignedPreKeyStore extends SignedPreKeyStore {
  readonly #records = new Map<number, Uint8Array<ArrayBuffer>>();

  override async saveSignedPreKey(id: number, record: SignedPreKeyRecord): Promise<void> {
    this.#records.set(id, record.serialize());
  }

  override async getSignedPreKey(id: number): Promise<SignedPreKeyRecord> {
    const bytes = this.#records.get(id);
    if (!bytes) throw missing('signed', id);
    return SignedPreKeyRecord.deserialize(bytes);
  }
}

/** Signed ML-KEM ("Kyber") prekeys, kept serialised; used as last-resort keys (never removed). */
export class InMemoryKyberPreKeyStore extends KyberPreKeyStore {
  readonly #records = new Map<number, Uint8Array<ArrayBuffer>>();
  /** How often a Kyber prekey was reported used. */
  uses = 0;

  override async saveKyberPreKey(id: number, record: KyberPreKeyRecord): Promise<void> {
    this.#records.set(id, record.serialize());
  }

  override async getKyberPreKey(id: number): Promise<KyberPreKeyRecord> {
    const bytes = this.#records.get(id);
    if (!bytes) throw missing('Kyber', id);
    return KyberPreKeyRecord.deserialize(bytes);
  }

  override async markKyberPreKeyUsed(): Promise<void> {
    this.uses++;
  }
}

/** A message as it travels: libsignal's message type and its bytes. */
export interface WireMessage {
  readonly type: CiphertextMessageType;
  readonly bytes: Uint8Array<ArrayBuffer>;
}

/** One libsignal device with its stores. Sessions and prekeys can be reset; the identity stays. */
export class LibsignalDevice {
  readonly address: ProtocolAddress;
  readonly identityStore: InMemoryIdentityKeyStore;
  sessions = new InMemorySessionStore();
  preKeys = new InMemoryPreKeyStore();
  signedPreKeys = new InMemorySignedPreKeyStore();
  kyberPreKeys = new InMemoryKyberPreKeyStore();
  #nextPreKeyId = 1;

  constructor(name: string, identity: IdentityKeyPair, registrationId: number) {
    this.address = ProtocolAddress.new(name, DEVICE_ID);
    this.identityStore = new InMemoryIdentityKeyStore(identity, registrationId);
  }

  /** Forgets every session and prekey (a fresh start with the same identity). */
  reset(): void {
    this.sessions = new InMemorySessionStore();
    this.preKeys = new InMemoryPreKeyStore();
    this.signedPreKeys = new InMemorySignedPreKeyStore();
    this.kyberPreKeys = new InMemoryKyberPreKeyStore();
  }

  /**
   * Creates and stores a signed EC prekey, a signed Kyber prekey and one
   * one-time EC prekey, and returns the bundle a server would hand out.
   */
  async publishBundle(): Promise<PreKeyBundle> {
    const { identity, registrationId } = this.identityStore;
    const now = Date.now();
    const signedId = this.#nextPreKeyId++;
    const kyberId = this.#nextPreKeyId++;
    const oneTimeId = this.#nextPreKeyId++;

    const signed = PrivateKey.generate();
    const signedPublic = signed.getPublicKey();
    const signedSignature = identity.privateKey.sign(signedPublic.serialize());
    await this.signedPreKeys.saveSignedPreKey(signedId, SignedPreKeyRecord.new(signedId, now, signedPublic, signed, signedSignature));

    const kyber = KEMKeyPair.generate();
    const kyberPublic = kyber.getPublicKey();
    const kyberSignature = identity.privateKey.sign(kyberPublic.serialize());
    await this.kyberPreKeys.saveKyberPreKey(kyberId, KyberPreKeyRecord.new(kyberId, now, kyber, kyberSignature));

    const oneTime = PrivateKey.generate();
    const oneTimePublic = oneTime.getPublicKey();
    await this.preKeys.savePreKey(oneTimeId, PreKeyRecord.new(oneTimeId, oneTimePublic, oneTime));

    return PreKeyBundle.new(
      registrationId,
      DEVICE_ID,
      oneTimeId,
      oneTimePublic,
      signedId,
      signedPublic,
      signedSignature,
      identity.publicKey,
      kyberId,
      kyberPublic,
      kyberSignature,
    );
  }

  /** Starts a session with `remote` from its bundle (PQXDH). */
  startSession(remote: ProtocolAddress, bundle: PreKeyBundle): Promise<void> {
    return processPreKeyBundle(bundle, remote, this.address, this.sessions, this.identityStore);
  }

  /** Encrypts for `remote` on the stored session. */
  async encrypt(remote: ProtocolAddress, plaintext: Plaintext): Promise<WireMessage> {
    const message = await signalEncrypt(plaintext, remote, this.address, this.sessions, this.identityStore);
    return { type: message.type(), bytes: message.serialize() };
  }

  /** Decrypts a message from `remote`, with the prekey stores for a PreKey message. */
  decrypt(remote: ProtocolAddress, message: WireMessage): Promise<Uint8Array> {
    if (message.type === CiphertextMessageType.PreKey) {
      const parsed = PreKeySignalMessage.deserialize(message.bytes);
      return signalDecryptPreKey(parsed, remote, this.address, this.sessions, this.identityStore, this.preKeys, this.signedPreKeys, this.kyberPreKeys);
    }
    if (message.type === CiphertextMessageType.Whisper) {
      return signalDecrypt(SignalMessage.deserialize(message.bytes), remote, this.address, this.sessions, this.identityStore);
    }
    throw new Error(`unexpected libsignal message type ${message.type}`);
  }
}

function conversation(alice: LibsignalDevice, bob: LibsignalDevice): Conversation {
  let last: WireMessage | undefined;
  const deliver = async (from: LibsignalDevice, to: LibsignalDevice, plaintext: Plaintext): Promise<Uint8Array> => {
    last = await from.encrypt(to.address, plaintext);
    return to.decrypt(from.address, last);
  };
  return {
    aToB: (plaintext) => deliver(alice, bob, plaintext),
    bToA: (plaintext) => deliver(bob, alice, plaintext),
    lastMessage: () => ({ bytes: last?.bytes.length ?? 0, prekey: last?.type === CiphertextMessageType.PreKey }),
    recordBytes: () => alice.sessions.recordBytes(bob.address),
  };
}

/** libsignal as a benchmark contender. Identity keys are generated once, here. */
export function createLibsignalContender(): Contender {
  const aliceIdentity = IdentityKeyPair.generate();
  const bobIdentity = IdentityKeyPair.generate();
  const setupAlice = new LibsignalDevice('alice', aliceIdentity, ALICE_REGISTRATION_ID);
  const setupBob = new LibsignalDevice('bob', bobIdentity, BOB_REGISTRATION_ID);
  return {
    label: 'libsignal',
    async startConversation() {
      const alice = new LibsignalDevice('alice', aliceIdentity, ALICE_REGISTRATION_ID);
      const bob = new LibsignalDevice('bob', bobIdentity, BOB_REGISTRATION_ID);
      await alice.startSession(bob.address, await bob.publishBundle());
      return conversation(alice, bob);
    },
    async setup(plaintext) {
      setupAlice.reset();
      setupBob.reset();
      await setupAlice.startSession(setupBob.address, await setupBob.publishBundle());
      const message = await setupAlice.encrypt(setupBob.address, plaintext);
      return setupBob.decrypt(setupAlice.address, message);
    },
  };
}
