/**
 * Groups between real nodes (docs/GROUPS.md, "Delivery", "Key packages",
 * "Invitations"): the member-side service on top of one messenger.
 *
 * - Every change (create, add, remove, leave, an operation received) writes
 *   the new group state in the same transaction as what it changed; a send
 *   writes the state, the message and its group outbox entry together, so a
 *   crash loses nothing and sends nothing twice (the frame is made once and
 *   re-sent as the same bytes; receivers drop a copy by its digest and by
 *   the message id).
 * - Delivery (./group-delivery.ts): each frame goes straight to every member
 *   online (/sotto/group) and once to the group's mailboxes, under the
 *   group's mailbox key, for the members who are not; a message the
 *   mailboxes hold waits dormant for a connection to those members.
 * - Key packages go to contacts inside the 1:1 channel; invitations (the
 *   Welcome, the group's name and mailbox token) too. An invitation from a
 *   contact is joined at once; from a stranger it waits (a request).
 */
import { toHex, type Bytes } from '../../crypto/bytes.ts';
import { SottoError } from '../../crypto/errors.ts';
import type { Core } from '../core/core.ts';
import { GROUP_KEY_PACKAGE_PROTOCOL, GROUP_MAILBOX_TOKEN_BYTES, MAX_GROUP_CHUNKED_STREAMS, MAX_GROUP_KEY_PACKAGE_FRAME_BYTES, MAX_GROUP_CHUNKED_STREAMS_PER_PEER, GROUP_POLL_INTERVAL_MS, GROUP_PROTOCOL, GROUP_STATE_WRITE_AFTER_MESSAGES, MAX_GROUP_KEY_PACKAGE_SECRETS, MAX_GROUP_STREAM_FRAME_BYTES, MAX_TEXT_BYTES, GROUP_KEY_PACKAGE_LIFETIME_MS, MAILBOX_REPLICAS, MAILBOX_RETRY_MS, GROUP_CATCH_UP_ATTEMPTS } from '../constants.ts';
import { GroupKeyPackageMissingError, GroupNameTakenError, InvalidMessageError, UnknownContactError, UnknownGroupError } from '../errors.ts';
import { checkContactName } from '../contacts/names.ts';
import { fromBase64, toBase64 } from '../encoding/base64.ts';
import { peerIdOfSigningKey, signingKeyOfPeerId } from '../encoding/peer-id.ts';
import type { Messenger } from '../messaging/messenger.ts';
import { Recurring } from '../messaging/recurring.ts';
import type { AckStatus } from '../messaging/wire.ts';
import type { GroupInvitationRecord, GroupMessageRecord, GroupRecord, KeyPackageSecretRecord } from '../store/group-records.ts';
import { Tx } from '../store/store.ts';
import type { FramedStream } from '../transport/network.ts';
import type { GroupEnv } from './context.ts';
import { splitGroupFrame } from './chunks.ts';
import { KEY_PACKAGE_LIMITS, requestKeyPackage, serveKeyPackage } from './key-package-request.ts';
import { PrekeyLimiter } from '../bundles/prekey-limiter.ts';
import { GroupDelivery } from './group-delivery.ts';
import { assembleInvitations, isInvitationChunk } from './invitation-chunks.ts';
import { fetchGroupFrames } from './group-mailbox-fetch.ts';
import { GroupCatchUp } from './group-catch-up.ts';
import { addMembers, commitPending, createGroup, encryptGroupMessage, joinGroup, proposeLeave, removeMember, selfUpdate, setAdmins, updateDue, hasPendingProposals, type OwnOperation } from './group-ops.ts';
import { processGroupFrame, type GroupEvent } from './group-process.ts';
import { decodeGroupState, encodeGroupState, epochAuthenticator, groupMembers, isActiveMember, type GroupState, type OwnIntent } from './group-state.ts';
import { decodeGroupPlaintext, encodeGroupPlaintext, plaintextOf, type GroupPlaintext } from './group-plaintext.ts';
import { fileDescriptorProblem, type FileDescriptor } from '../encoding/file-descriptor.ts';
import { inlineFileFailure } from '../encoding/inline-file.ts';
import { storedFile } from '../store/file-record.ts';
import { encodeGroupAck, readGroupDelivery } from './group-stream.ts';
import { createKeyPackage, decodeKeyPackageSecrets, encodeKeyPackageSecrets, keyPackageRef, readKeyPackageRecord } from './key-package.ts';
import { decodeGroupFrame } from './wire.ts';

/** A group as `sotto group list` shows it. */
export interface GroupInfo {
  readonly name: string;
  readonly id: string;
  readonly members: readonly { readonly name: string | null; readonly peerId: string }[];
  /** Peer ids of the admins. */
  readonly admins: readonly string[];
  readonly active: boolean;
}

/** What a group send reports: of `members` others, how many acked it directly, how many it is stored for in mailboxes, how many still wait. */
export interface GroupSendResult {
  readonly id: string;
  readonly status: 'delivered' | 'stored' | 'queued';
  readonly delivered: number;
  readonly stored: number;
  readonly queued: number;
  readonly members: number;
}

/** Key packages given to a contact are renewed when they expire within this (a quarter of their lifetime). */
const KEY_PACKAGE_RENEW_BEFORE_MS = GROUP_KEY_PACKAGE_LIFETIME_MS / 4;

/** The lock key of invitations being put together and joined. */
const INVITATIONS_LOCK = 'group invitations';
/** The lock key of one group's state (peer ids hold no space). */
const lockOf = (groupId: string): string => `group ${groupId}`;

/** The groups of one home, on its messenger. */
export class GroupService {
  private readonly groups = new Map<string, GroupRecord>();
  private readonly states = new Map<string, GroupState>();
  /** Received messages processed since each group's state was last written. */
  private readonly unsaved = new Map<string, number>();
  private readonly delivery: GroupDelivery;
  private readonly poll: Recurring;
  /** Fetches a group's mailboxes soon after a refusal or a join (./group-catch-up.ts). */
  private readonly catchUp: GroupCatchUp;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly env: GroupEnv;
  /** Who gets a key package asked for live (/sotto/keypackage). */
  private readonly keyPackageLimiter: PrekeyLimiter;
  /** Members of the group of each waiting invitation looked at, by invitation id (null: not opened here). */
  private readonly invitationSizes = new Map<string, number | null>();
  /** Chunked /sotto/group streams being read, per peer. */
  private readonly chunkedStreams = new Map<string, number>();
  /**
   * Operations removing this member that came straight from a member (frame
   * digest, hex → group id): answered 'retry' until a fetch of the group's
   * mailboxes has read what was sent before them, or GROUP_CATCH_UP_ATTEMPTS
   * fetches reached no mailbox (a LAN with none: nothing to read first); then
   * released (taken when they come again, or from the mailboxes).
   */
  private readonly heldRemovals = new Map<string, { groupId: string; released: boolean; emptyFetches: number }>();

  private constructor(
    private readonly messenger: Messenger,
    private readonly core: Core,
  ) {
    this.env = { ctx: core.ctx };
    this.keyPackageLimiter = new PrekeyLimiter(() => core.ctx.now(), KEY_PACKAGE_LIMITS);
    this.delivery = new GroupDelivery(core, (groupId) => this.groups.get(groupId));
    this.poll = new Recurring(core.scheduler, this.pollJob(), GROUP_POLL_INTERVAL_MS);
    this.catchUp = new GroupCatchUp(core.scheduler, async (groupId) => {
      const group = this.groups.get(groupId);
      return group?.active ? (await fetchGroupFrames(core, group, (bytes) => this.receive(bytes))).stored : 0;
    });
  }

  /** Opens the groups of the messenger's home (their records and states). */
  static async open(messenger: Messenger): Promise<GroupService> {
    const core = messenger.shared();
    const service = new GroupService(messenger, core);
    for (const group of await core.store.listGroups()) {
      service.groups.set(group.id, group);
      const state = await core.store.getGroupState(group.id);
      if (state) service.states.set(group.id, decodeGroupState(state));
    }
    await service.delivery.load();
    return service;
  }

  /** Serves /sotto/group, joins invitations waiting from contacts, delivers the group outbox and polls the groups' mailboxes. */
  async start(): Promise<void> {
    const network = this.core.network;
    this.unsubscribe.push(
      this.core.on('group-invitation', ({ invitation, stranger }) => void this.invited(invitation, stranger).catch(() => {})),
    );
    if (!network) return;
    await network.handle(GROUP_PROTOCOL, MAX_GROUP_STREAM_FRAME_BYTES, (stream, peerId) => this.serve(stream, peerId));
    await network.handle(GROUP_KEY_PACKAGE_PROTOCOL, MAX_GROUP_KEY_PACKAGE_FRAME_BYTES, (stream, peerId) => serveKeyPackage(this.core, this.env, this.keyPackageLimiter, stream, peerId));
    for (const peerId of new Set((await this.core.store.listGroupInvitations()).filter(isInvitationChunk).map((i) => i.peerId))) await assembleInvitations(this.core, peerId);
    for (const invitation of await this.core.store.listGroupInvitations()) {
      if (!isInvitationChunk(invitation) && (await this.core.contactByPeer(invitation.peerId))) await this.join(invitation).catch(() => {});
    }
    this.delivery.start();
    this.poll.start(0);
  }

  /** Stops polling and delivering; writes the states not written since their last messages. */
  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    this.poll.stop();
    this.catchUp.stop();
    await this.delivery.stop();
    const tx = new Tx();
    for (const [groupId, count] of this.unsaved) if (count > 0) tx.putGroupState(groupId, encodeGroupState(this.states.get(groupId)!));
    this.unsaved.clear();
    await this.core.store.commit(tx, { sync: true });
  }

  /**
   * The group poll: now and every GROUP_POLL_INTERVAL_MS. Right after start
   * the DHT may not know the groups' mailboxes yet: while a group's fetch
   * reaches fewer than k mailboxes, the next poll comes sooner
   * (MAILBOX_RETRY_MS, doubling), as the messenger's mail poll does.
   */
  private pollJob(): () => Promise<number> {
    let retry = MAILBOX_RETRY_MS;
    return async () => {
      const reached = await this.pollOnce();
      const short = reached < MAILBOX_REPLICAS && retry < GROUP_POLL_INTERVAL_MS;
      const next = short ? retry : GROUP_POLL_INTERVAL_MS;
      retry = short ? retry * 2 : MAILBOX_RETRY_MS;
      return next;
    };
  }

  /** One poll: key packages for contacts that have none from us, then every group's mailboxes. Resolves to the fewest mailboxes a group's fetch reached (k when no group is active). */
  async pollOnce(): Promise<number> {
    await this.upkeepKeyPackages().catch(() => {});
    let fewest = MAILBOX_REPLICAS;
    for (const group of [...this.groups.values()]) {
      if (!group.active) continue;
      const { reached } = await fetchGroupFrames(this.core, group, (bytes) => this.receive(bytes)).catch(() => ({ reached: 0 }));
      for (const held of this.heldRemovals.values()) {
        if (held.groupId !== group.id) continue;
        held.emptyFetches += reached > 0 ? 0 : 1;
        held.released ||= reached > 0 || held.emptyFetches >= GROUP_CATCH_UP_ATTEMPTS;
      }
      fewest = Math.min(fewest, reached);
    }
    return fewest;
  }

  // Key packages.

  /**
   * Gives every contact without a valid key package from this node a new
   * one (in the 1:1 channel), keeping its secrets until a Welcome uses it
   * or it expires; drops expired secrets. Resolves to how many were sent.
   */
  async upkeepKeyPackages(): Promise<number> {
    const now = this.core.ctx.now();
    const secrets = await this.core.store.listKeyPackageSecrets();
    const expired = secrets.filter((s) => s.notAfter <= now);
    if (expired.length > 0) {
      const tx = new Tx();
      for (const s of expired) tx.deleteKeyPackageSecret(s.ref);
      await this.core.store.commit(tx, { sync: false });
    }
    const covered = new Set(secrets.filter((s) => s.peerId !== null && s.notAfter - now > KEY_PACKAGE_RENEW_BEFORE_MS).map((s) => s.peerId));
    let sent = 0;
    for (const contact of await this.core.store.listContacts()) {
      if (!contact.added || covered.has(contact.peerId) || secrets.length - expired.length + sent >= MAX_GROUP_KEY_PACKAGE_SECRETS) continue;
      const { record, secrets: own } = await createKeyPackage(this.env, this.core.identity);
      const ref = toHex(await keyPackageRef(this.env, own.keyPackage));
      const notAfter = now + GROUP_KEY_PACKAGE_LIFETIME_MS;
      await this.messenger.queuePayload(contact.peerId, 'key-package', { type: 'key-package', record }, (tx) =>
        tx.putKeyPackageSecret({ ref, peerId: contact.peerId, notAfter, createdAt: now, secrets: toBase64(encodeKeyPackageSecrets(own)) }),
      );
      sent++;
    }
    return sent;
  }

  /** The key package records of the contacts named (each must have given one that is still valid). */
  private async keyPackagesOf(names: readonly string[]): Promise<{ records: Bytes[]; peerIds: string[] }> {
    const records: Bytes[] = [];
    const peerIds: string[] = [];
    for (const name of names) {
      const contact = await this.core.contactByName(name);
      if (!contact) throw new UnknownContactError(name);
      const held = await this.core.store.getHeldKeyPackage(contact.peerId);
      if (held && held.notAfter > this.core.ctx.now()) records.push(fromBase64(held.record));
      // None held (the contact was never online with this node since): asked for live, if it is online now.
      else records.push(await requestKeyPackage(this.core, this.env, contact.peerId).catch(() => Promise.reject(new GroupKeyPackageMissingError(name))));
      peerIds.push(contact.peerId);
    }
    return { records, peerIds };
  }

  // Membership.

  /** Creates group `name` with the contacts `members`; resolves to its id (hex). Throws GroupNameTakenError, InvalidContactNameError, UnknownContactError, GroupKeyPackageMissingError. */
  async create(name: string, members: readonly string[] = []): Promise<{ name: string; id: string }> {
    const checked = checkContactName(name);
    if (this.byName(checked)) throw new GroupNameTakenError(checked);
    const { records, peerIds } = await this.keyPackagesOf(members);
    let state = await createGroup(this.env, this.core.identity);
    const id = toHex(state.mls.groupContext.groupId);
    const group: GroupRecord = { id, name: checked, token: toBase64(this.core.ctx.randomBytes(GROUP_MAILBOX_TOKEN_BYTES)), joinedAt: this.core.ctx.now(), active: true };
    const tx = new Tx().putGroup(group);
    let operation: OwnOperation | undefined;
    if (records.length > 0) {
      operation = await addMembers(this.env, state, records);
      state = operation.state;
    }
    await this.core.store.commit(tx.putGroupState(id, encodeGroupState(state)), { sync: true });
    this.groups.set(id, group);
    this.states.set(id, state);
    this.core.emit('group-changed', { groupId: id });
    if (operation) await this.invite(group, operation, peerIds);
    return { name: checked, id };
  }

  /** Adds contacts to a group (an admin only). Throws UnknownGroupError, GroupKeyPackageMissingError, and addMembers' errors. */
  async add(name: string, members: readonly string[]): Promise<void> {
    const group = this.group(name);
    const { records, peerIds } = await this.keyPackagesOf(members);
    await this.core.locks.run(lockOf(group.id), async () => {
      const operation = await addMembers(this.env, this.states.get(group.id)!, records);
      await this.commitOwn(group, operation);
      await this.invite(group, operation, peerIds);
    });
  }

  /** Removes a contact from a group (an admin only). Throws UnknownGroupError, UnknownContactError, NotGroupMemberError, NotGroupAdminError. */
  async remove(name: string, member: string): Promise<void> {
    const group = this.group(name);
    const contact = await this.core.contactByName(member);
    if (!contact) throw new UnknownContactError(member);
    await this.core.locks.run(lockOf(group.id), async () => {
      const operation = await removeMember(this.env, this.states.get(group.id)!, signingKeyOfPeerId(contact.peerId));
      await this.commitOwn(group, operation);
    });
  }

  /**
   * Makes exactly the members named admins (contact names; `null` names
   * this home's own identity). An admin only. Throws UnknownGroupError,
   * UnknownContactError, NotGroupMemberError, NotGroupAdminError.
   */
  async setAdmins(name: string, admins: readonly (string | null)[]): Promise<void> {
    const group = this.group(name);
    const keys: Bytes[] = [];
    for (const admin of admins) {
      if (admin === null) keys.push(this.core.identity.public.signingKey);
      else {
        const contact = await this.core.contactByName(admin);
        if (!contact) throw new UnknownContactError(admin);
        keys.push(signingKeyOfPeerId(contact.peerId));
      }
    }
    await this.core.locks.run(lockOf(group.id), async () => this.commitOwn(group, await setAdmins(this.env, this.states.get(group.id)!, keys)));
  }

  /** Asks to leave a group (a Remove proposal any member commits); this home stops taking part at once. */
  async leave(name: string): Promise<void> {
    const group = this.group(name);
    await this.core.locks.run(lockOf(group.id), async () => {
      const { state, proposal } = await proposeLeave(this.env, this.states.get(group.id)!);
      const left: GroupRecord = { ...this.groups.get(group.id)!, active: false };
      await this.delivery.enqueue(group, { kind: 'proposal', frame: proposal, epoch: state.mls.groupContext.epoch, recipients: this.others(state), messageId: null }, (tx) =>
        tx.putGroupState(group.id, encodeGroupState(state)).putGroup(left),
      );
      this.states.set(group.id, state);
      this.groups.set(group.id, left);
    });
    this.core.emit('group-changed', { groupId: group.id });
  }

  /** Writes an operation this member made (state and its outbox entry in one transaction) and sends it. */
  private async commitOwn(group: GroupRecord, operation: OwnOperation): Promise<void> {
    const state = operation.state;
    // The members before it: those it removes get it too (it tells them they are out; they can read nothing
    // after it). Those it adds do not: they join from their Welcome at the epoch after it, and would refuse
    // it as older than their state, for ever.
    const before = this.states.get(group.id);
    const recipients = before ? this.others(before) : this.others(state);
    await this.delivery.enqueue(group, { kind: 'operation', frame: operation.operation, epoch: state.mls.groupContext.epoch - 1n, recipients, messageId: null }, (tx) =>
      tx.putGroupState(group.id, encodeGroupState(state)),
    );
    this.states.set(group.id, state);
    this.unsaved.set(group.id, 0);
    this.core.emit('group-changed', { groupId: group.id });
  }

  /**
   * Sends the Welcome of an add to each new member, in the 1:1 channel, with
   * the group's name and mailbox token: one payload, or one per chunk of a
   * Welcome too large for one message (PROTOCOL.md §24b).
   */
  private async invite(group: GroupRecord, operation: OwnOperation, peerIds: readonly string[]): Promise<void> {
    if (!operation.welcome) return;
    const parts = splitGroupFrame(this.core.ctx.primitives.sha256, operation.welcome);
    for (const peerId of peerIds) {
      for (const welcome of parts) {
        await this.messenger.queuePayload(peerId, 'group-invite', { type: 'group-invite', name: group.name, token: fromBase64(group.token), welcome }, (tx) => tx.deleteHeldKeyPackage(peerId));
      }
    }
  }

  /** An invitation arrived: a chunk is put together with the others from its sender; a whole one from a contact is joined at once. */
  private async invited(invitation: GroupInvitationRecord, stranger: boolean): Promise<void> {
    // One at a time: two chunks arriving together must not both join the whole.
    await this.core.locks.run(INVITATIONS_LOCK, async () => {
      const whole = isInvitationChunk(invitation) ? await assembleInvitations(this.core, invitation.peerId) : [invitation];
      if (!stranger) for (const one of whole) await this.join(one);
    });
  }

  /**
   * Joins the group of an invitation with the secrets of the key package
   * its Welcome was made for, and updates this member's keys at once.
   * Throws DecodeError, GroupAuthenticationError, or RangeError when no key
   * package of this node matches (the invitation stays).
   */
  async join(invitation: GroupInvitationRecord): Promise<GroupRecord> {
    const { state, secret } = await this.open(invitation);
    const id = toHex(state.mls.groupContext.groupId);
    const existing = this.groups.get(id);
    const name = existing?.name ?? this.freeName(invitation.name);
    const group: GroupRecord = { id, name, token: invitation.token, joinedAt: this.core.ctx.now(), active: true, invitedBy: invitation.peerId, ...(existing?.readSeq === undefined ? {} : { readSeq: existing.readSeq }) };
    await this.core.store.commit(new Tx().putGroup(group).putGroupState(id, encodeGroupState(state)).deleteGroupInvitation(invitation.id).deleteKeyPackageSecret(secret.ref), { sync: true });
    this.groups.set(id, group);
    this.states.set(id, state);
    this.core.emit('group-changed', { groupId: id });
    // Frames sent while the invitation travelled (refused until now) are in the group's mailboxes.
    this.catchUp.soon(id);
    // A new key package for the inviter, whose one this Welcome used.
    if (secret.peerId !== null) void this.upkeepKeyPackages().catch(() => {});
    await this.updateIfDue(group).catch(() => {});
    return group;
  }

  /**
   * The group state an invitation's Welcome gives, with the key package
   * secret it was made for (nothing is written). Throws DecodeError,
   * GroupAuthenticationError, or RangeError when no key package of this
   * node matches.
   */
  private async open(invitation: GroupInvitationRecord): Promise<{ state: GroupState; secret: KeyPackageSecretRecord }> {
    const welcome = fromBase64(invitation.welcome);
    const frame = decodeGroupFrame(welcome);
    if (frame.kind !== 'welcome') throw new RangeError('join: not a welcome');
    const refs = new Set(frame.welcome.welcome.secrets.map((s) => toHex(s.newMember)));
    const secret = (await this.core.store.listKeyPackageSecrets()).find((s) => refs.has(s.ref));
    if (!secret) throw new RangeError('join: no key package of this node matches the invitation');
    return { state: await joinGroup(this.env, this.core.identity, decodeKeyPackageSecrets(fromBase64(secret.secrets)), welcome), secret };
  }

  /**
   * How many members the group of a waiting invitation has, read from its
   * Welcome without joining (the inviter signed it: it is the group the
   * inviter made, not a number it claims), or null when this node cannot
   * open it. Read once per invitation (a Welcome of 1,000 members takes
   * about a second to check).
   */
  async invitationMembers(invitation: GroupInvitationRecord): Promise<number | null> {
    const known = this.invitationSizes.get(invitation.id);
    if (known !== undefined) return known;
    const count = await this.open(invitation).then(
      ({ state }) => groupMembers(state).length,
      () => null,
    );
    this.invitationSizes.set(invitation.id, count);
    return count;
  }

  /**
   * Joins every invitation waiting from `peerId`, who just became a
   * contact (a request accepted, a contact added): a contact's invitations
   * are joined by themselves, so are the ones it sent while a stranger.
   * Resolves to the groups joined; an invitation that cannot be joined stays.
   */
  async joinInvitationsFrom(peerId: string): Promise<GroupRecord[]> {
    return this.core.locks.run(INVITATIONS_LOCK, async () => {
      const joined: GroupRecord[] = [];
      for (const invitation of await this.core.store.listGroupInvitations()) {
        if (invitation.peerId !== peerId || isInvitationChunk(invitation)) continue;
        const group = await this.join(invitation).catch(() => undefined);
        if (group) joined.push(group);
      }
      return joined;
    });
  }

  /** Deletes a waiting invitation unjoined (a stranger's the user declined); nothing is sent back. */
  async decline(id: string): Promise<void> {
    await this.core.store.commit(new Tx().deleteGroupInvitation(id), { sync: true });
  }

  /** Invitations from strangers waiting for the user, oldest first. */
  async invitations(): Promise<GroupInvitationRecord[]> {
    const out: GroupInvitationRecord[] = [];
    for (const invitation of await this.core.store.listGroupInvitations()) if (!isInvitationChunk(invitation) && !(await this.core.contactByPeer(invitation.peerId))) out.push(invitation);
    // Members counts of invitations gone (joined, declined, deleted with their request) are forgotten.
    const waiting = new Set(out.map((i) => i.id));
    for (const id of this.invitationSizes.keys()) if (!waiting.has(id)) this.invitationSizes.delete(id);
    return out.sort((a, b) => a.at - b.at);
  }

  /** Updates this member's keys when updateDue says so (after joining, after many messages, after a week). */
  private async updateIfDue(group: GroupRecord): Promise<void> {
    await this.core.locks.run(lockOf(group.id), async () => {
      const state = this.states.get(group.id);
      if (!state || !group.active || !updateDue(state, this.core.ctx.now())) return;
      await this.commitOwn(group, await selfUpdate(this.env, state));
    });
  }

  private freeName(wanted: string): string {
    let name: string;
    try {
      name = checkContactName(wanted);
    } catch {
      name = 'group';
    }
    if (!this.byName(name)) return name;
    for (let i = 2; ; i++) if (!this.byName(`${name} ${i}`)) return `${name} ${i}`;
  }

  // Reading.

  private byName(name: string): GroupRecord | undefined {
    return [...this.groups.values()].find((g) => g.name === name);
  }

  /** The group named `name`. Throws UnknownGroupError. */
  group(name: string): GroupRecord {
    const group = this.byName(name);
    if (!group) throw new UnknownGroupError(name);
    return group;
  }

  /** Whether `peerId` is a member of group `groupId` while this home is active in it (no name lookups: a holder asks it per request). */
  isMember(groupId: string, peerId: string): boolean {
    const group = this.groups.get(groupId);
    const state = this.states.get(groupId);
    if (!group?.active || !state || !isActiveMember(state)) return false;
    return groupMembers(state).some((m) => peerIdOfSigningKey(m.identity) === peerId);
  }

  /** Every group with its members and admins (peer ids; a member's name when it is a contact). */
  async list(): Promise<GroupInfo[]> {
    const out: GroupInfo[] = [];
    for (const group of this.groups.values()) {
      const state = this.states.get(group.id);
      const members = state ? groupMembers(state) : [];
      const named = await Promise.all(
        members.map(async (m) => {
          const peerId = peerIdOfSigningKey(m.identity);
          const name = peerId === this.core.peerId ? null : ((await this.core.contactByPeer(peerId))?.name ?? null);
          return { name, peerId };
        }),
      );
      out.push({ name: group.name, id: group.id, members: named, admins: members.filter((m) => m.admin).map((m) => peerIdOfSigningKey(m.identity)), active: group.active && state !== undefined && isActiveMember(state) });
    }
    return out;
  }

  /**
   * How many received messages of a group are unread (after its read mark),
   * among its newest `scan` messages. Throws UnknownGroupError.
   */
  async unreadCount(name: string, scan: number): Promise<number> {
    const group = this.group(name);
    const mark = group.readSeq ?? 0;
    return (await this.history(name, { limit: scan })).filter((m) => m.direction === 'in' && m.seq > mark).length;
  }

  /**
   * Moves a group's read mark to message `seq` (the newest one the user
   * read; never back), durably, so unread counts survive a restart as a
   * conversation's do. Throws UnknownGroupError.
   */
  async markRead(name: string, seq: number): Promise<void> {
    const { id } = this.group(name);
    await this.core.locks.run(lockOf(id), async () => {
      const group = this.groups.get(id)!;
      if (seq <= (group.readSeq ?? 0)) return;
      const read: GroupRecord = { ...group, readSeq: seq };
      await this.core.store.commit(new Tx().putGroup(read), { sync: false });
      this.groups.set(id, read);
    });
  }

  /** A group's messages, oldest first; with `page`, the newest `limit` below `before` (a message's seq). Throws UnknownGroupError. */
  async history(name: string, page: { before?: number; limit?: number } = {}): Promise<GroupMessageRecord[]> {
    return this.core.store.listGroupMessages(this.group(name).id, page);
  }

  /** The group's current epoch authenticator (hex; RFC 9420 §8.7): members whose states agree hold the same. Throws UnknownGroupError. */
  epochAuthenticator(name: string): string {
    return toHex(epochAuthenticator(this.states.get(this.group(name).id)!));
  }

  /** The other members' peer ids. */
  private others(state: GroupState): string[] {
    return [...new Set(groupMembers(state).map((m) => peerIdOfSigningKey(m.identity)))].filter((p) => p !== this.core.peerId);
  }

  // Sending.

  /**
   * Sends a text to a group: durable before it resolves; with `waitMs`,
   * resolves once every other member acked it directly or the group's
   * mailboxes hold it, or the wait is over. Throws UnknownGroupError,
   * InvalidMessageError, NotGroupMemberError.
   */
  async send(name: string, text: string, options: { waitMs?: number } = {}): Promise<GroupSendResult> {
    const group = this.group(name);
    const length = new TextEncoder().encode(text).length;
    if (length === 0) throw new InvalidMessageError('it is empty');
    if (length > MAX_TEXT_BYTES) throw new InvalidMessageError(`it is ${length} bytes; the limit is ${MAX_TEXT_BYTES}`);
    const id = this.core.newMessageId();
    const sentAt = this.core.ctx.now();
    const settled = this.delivery.settled(id, options.waitMs ?? 0);
    await this.sendPlaintext(group, { type: 'text', id, sentAt, text });
    return settled;
  }

  /**
   * Sends a file message to a group: `file` describes a file sealed already
   * (describeInlineFile, ../encoding/inline-file.ts, for one of at most
   * FILE_INLINE_MAX_BYTES; the file service for a larger one). Same path,
   * statuses and `waitMs` as {@link send}; the stored message's `text` is
   * the file's name. Throws UnknownGroupError, NotGroupMemberError,
   * InvalidMessageError (a descriptor that breaks a rule of
   * docs/PROTOCOL.md §25, with the reason).
   */
  async sendFile(name: string, file: FileDescriptor, options: { waitMs?: number } = {}): Promise<GroupSendResult> {
    const group = this.group(name);
    const id = this.core.newMessageId();
    const sentAt = this.core.ctx.now();
    const problem = fileDescriptorProblem(file);
    if (problem) throw new InvalidMessageError(problem);
    const settled = this.delivery.settled(id, options.waitMs ?? 0);
    await this.sendPlaintext(group, { type: 'file', id, sentAt, file });
    return settled;
  }

  /** Encrypts and queues one text or file message (a new one, or one re-sent after a fork with its id and time). */
  private async sendPlaintext(group: GroupRecord, message: GroupPlaintext, existing?: GroupMessageRecord): Promise<void> {
    await this.core.locks.run(lockOf(group.id), async () => {
      const { state, frame, epoch } = await encryptGroupMessage(this.env, this.states.get(group.id)!, encodeGroupPlaintext(message));
      const recipients = this.others(state);
      await this.delivery.enqueue(group, { kind: 'message', frame, epoch, recipients, messageId: message.id }, (tx, seq) => {
        tx.putGroupState(group.id, encodeGroupState(state));
        const content = message.type === 'text' ? { text: message.text } : { text: message.file.name, file: storedFile(message.file) };
        const record: GroupMessageRecord = existing
          ? { ...existing, status: 'queued', epoch: Number(epoch), members: recipients.length, delivered: 0, stored: 0 }
          : { id: message.id, groupId: group.id, sender: this.core.peerId, direction: 'out', ...content, timestamp: message.sentAt, status: 'queued', seq, epoch: Number(epoch), members: recipients.length, delivered: 0, stored: 0 };
        tx.putGroupMessage(record);
      });
      this.states.set(group.id, state);
      this.unsaved.set(group.id, 0);
    });
  }

  // Receiving.

  /** Serves one /sotto/group stream: one frame, processed, acked once durable. Only members of the frame's group are served. */
  private async serve(stream: FramedStream, peerId: string): Promise<void> {
    let admitted = false;
    try {
      // A chunked frame is held in memory while it arrives: at most MAX_GROUP_CHUNKED_STREAMS_PER_PEER per peer, MAX_GROUP_CHUNKED_STREAMS in all.
      const admit = (): boolean => {
        const mine = this.chunkedStreams.get(peerId) ?? 0;
        const all = [...this.chunkedStreams.values()].reduce((a, b) => a + b, 0);
        if (mine >= MAX_GROUP_CHUNKED_STREAMS_PER_PEER || all >= MAX_GROUP_CHUNKED_STREAMS) return false;
        this.chunkedStreams.set(peerId, mine + 1);
        return (admitted = true);
      };
      let frame: Bytes | undefined;
      try {
        frame = await readGroupDelivery(stream, this.core.ctx.primitives.sha256, admit);
      } finally {
        if (admitted) this.release(peerId);
      }
      const status = frame === undefined ? 'retry' : await this.receive(frame, peerId);
      await stream.write(encodeGroupAck(status));
      await stream.close();
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private release(peerId: string): void {
    const left = (this.chunkedStreams.get(peerId) ?? 1) - 1;
    if (left > 0) this.chunkedStreams.set(peerId, left);
    else this.chunkedStreams.delete(peerId);
  }

  /**
   * Processes one group frame from `from` (a member handing it on; undefined
   * for a mailbox item) and resolves to the ack it deserves: 'refused' for
   * a group this home is not in or a peer that is not a member, 'retry' for
   * an operation ahead of this member's epoch (it is kept and tried again),
   * for one removing this member that comes straight from a member before a
   * fetch of the group's mailboxes read what was sent before it, and for a
   * message that does not open (it may be of a branch this member has not
   * moved to yet), 'duplicate', 'rejected' for anything else malformed or
   * forged; the state is unchanged by anything but 'stored'.
   */
  async receive(bytes: Bytes, from?: string): Promise<AckStatus> {
    let frame;
    try {
      frame = decodeGroupFrame(bytes);
    } catch {
      return 'rejected';
    }
    if (frame.kind === 'welcome') return 'rejected';
    const group = this.groups.get(toHex(frame.groupId));
    if (!group || !group.active) return 'refused';
    return this.core.locks.run(lockOf(group.id), async () => {
      const state = this.states.get(group.id)!;
      // A sender this member does not know yet was added by a commit it has not processed: that commit is in the mailboxes.
      if (from !== undefined && !groupMembers(state).some((m) => peerIdOfSigningKey(m.identity) === from)) return this.catchUpAfter(group.id, 'refused');
      let result: { state: GroupState; event: GroupEvent };
      try {
        result = await processGroupFrame(this.env, state, bytes);
      } catch (err) {
        if (err instanceof SottoError && err.name === 'DuplicateGroupMessageError') return 'duplicate';
        // An operation before it is missing: in the mailboxes, with this frame.
        if (err instanceof SottoError && err.name === 'GroupEpochError' && (err as unknown as { kind: string }).kind === 'ahead') return from === undefined ? 'retry' : this.catchUpAfter(group.id, 'retry');
        // A message that does not open at an epoch this member holds may be of a branch it has not moved to
        // yet (a fork, a commit made concurrently with one it processed): its sender keeps it for the
        // mailboxes, where the commit is too, and a mailbox copy is tried again on each fetch.
        if (err instanceof SottoError && err.name === 'GroupAuthenticationError' && frame.kind === 'application') return from === undefined ? 'retry' : this.catchUpAfter(group.id, 'retry');
        // From a member, another frame that does not open may be of such a branch too.
        if (err instanceof SottoError) return from === undefined ? 'rejected' : this.catchUpAfter(group.id, 'rejected');
        throw err;
      }
      // Removed: this member stops reading the group. What was sent to it before (while it was away, or
      // deposited late) is read from the mailboxes first; the removal is in them too, or comes again.
      if (from !== undefined && result.event.kind === 'operation' && result.event.removedSelf) {
        const digest = toHex(this.core.ctx.primitives.sha256(bytes));
        const held = this.heldRemovals.get(digest);
        if (!held) {
          this.heldRemovals.set(digest, { groupId: group.id, released: false, emptyFetches: 0 });
          this.poll.runSoon();
        }
        if (!held?.released) return 'retry';
        this.heldRemovals.delete(digest);
      }
      return this.applyEvent(group, result.state, result.event);
    });
  }

  /** A frame handed on directly was refused for now: the group's mailboxes are fetched soon (the sender deposits it there), not at the next poll. */
  private catchUpAfter(groupId: string, status: 'refused' | 'retry' | 'rejected'): AckStatus {
    this.catchUp.soon(groupId);
    return status;
  }

  /** Writes what a processed frame changed, in one transaction, then tells the application. Call under the group's lock. */
  private async applyEvent(group: GroupRecord, state: GroupState, event: GroupEvent): Promise<AckStatus> {
    const tx = new Tx();
    let message: GroupMessageRecord | undefined;
    // As it is now (its read mark may have moved since the frame came in).
    let current = this.groups.get(group.id) ?? group;
    if (event.kind === 'application') {
      let plaintext;
      try {
        plaintext = decodeGroupPlaintext(event.plaintext);
      } catch {
        plaintext = undefined;
      }
      if (plaintext && !(await this.core.store.getGroupMessage(group.id, plaintext.id))) {
        // A file is stored like a text, its name as the text; an inline file that does not verify is kept, failed.
        const content = plaintext.type === 'text' ? { text: plaintext.text } : { text: plaintext.file.name, file: storedFile(plaintext.file, inlineFileFailure(this.core.ctx.primitives, plaintext.file)) };
        message = { id: plaintext.id, groupId: group.id, sender: peerIdOfSigningKey(event.sender), direction: 'in', ...content, timestamp: plaintext.sentAt, status: 'received', seq: this.core.allocateSeq(tx), epoch: Number(event.epoch) };
        tx.putGroupMessage(message);
        // The file service takes the file from here (a want survives a stop before it does).
        if (message.file) tx.putFileWant({ messageId: message.id, audience: { kind: 'group', groupId: group.id }, sender: message.sender });
      }
      const unsaved = (this.unsaved.get(group.id) ?? 0) + 1;
      if (unsaved >= GROUP_STATE_WRITE_AFTER_MESSAGES) tx.putGroupState(group.id, encodeGroupState(state));
      this.unsaved.set(group.id, unsaved >= GROUP_STATE_WRITE_AFTER_MESSAGES ? 0 : unsaved);
    } else {
      tx.putGroupState(group.id, encodeGroupState(state));
      this.unsaved.set(group.id, 0);
      if (event.kind === 'operation' && event.removedSelf) tx.putGroup((current = { ...current, active: false }));
    }
    await this.core.store.commit(tx, { sync: true });
    this.states.set(group.id, state);
    this.groups.set(group.id, current);
    if (message) this.core.emit('group-message', message);
    if (event.kind !== 'application') this.core.emit('group-changed', { groupId: group.id });
    if (event.kind === 'leave-request') void this.commitLeave(group).catch(() => {});
    if (event.kind === 'fork' && event.switched) void this.redo(group, event.reapply, event.abandoned).catch(() => {});
    if (event.kind === 'application' && message) void this.updateIfDue(current).catch(() => {});
    return 'stored';
  }

  /** A member asked to leave: an admin commits it (with the removal's seal). */
  private async commitLeave(group: GroupRecord): Promise<void> {
    await this.core.locks.run(lockOf(group.id), async () => {
      const state = this.states.get(group.id)!;
      const admin = groupMembers(state).some((m) => m.admin && peerIdOfSigningKey(m.identity) === this.core.peerId);
      if (!admin || !hasPendingProposals(state)) return;
      await this.commitOwn(group, await commitPending(this.env, state));
    });
  }

  /**
   * After the fork choice moved this member to another branch: its own
   * operations of the losing branch are made again (an add with the
   * invitee's current key package; a removal), and every message it sent in
   * the abandoned epochs is sent again with the same id (receivers drop the
   * second copy by id).
   */
  private async redo(group: GroupRecord, reapply: readonly OwnIntent[], abandoned: readonly bigint[]): Promise<void> {
    for (const intent of reapply) {
      if (intent.kind === 'remove') {
        for (const identity of intent.identities) {
          await this.core.locks.run(lockOf(group.id), async () => this.commitOwn(group, await removeMember(this.env, this.states.get(group.id)!, identity))).catch(() => {});
        }
      } else if (intent.kind === 'add') {
        const names: string[] = [];
        for (const record of intent.records) {
          const invitee = await this.inviteeOf(record);
          if (invitee) names.push(invitee);
        }
        if (names.length > 0) await this.add(group.name, names).catch(() => {});
      }
    }
    const epochs = new Set(abandoned.map(Number));
    for (const message of await this.core.store.listGroupMessages(group.id)) {
      if (message.direction !== 'out' || !epochs.has(message.epoch)) continue;
      await this.sendPlaintext(group, plaintextOf(message), message);
    }
  }

  /** The contact name of the person a key package record adds, if a contact. */
  private async inviteeOf(record: Bytes): Promise<string | undefined> {
    for (const contact of await this.core.store.listContacts()) {
      const held = await this.core.store.getHeldKeyPackage(contact.peerId);
      if (held && toHex(fromBase64(held.record)) === toHex(record)) return contact.name;
    }
    const kp = await readKeyPackageRecord(this.env, record).catch(() => undefined);
    return kp ? (await this.core.contactByPeer(peerIdOfSigningKey(kp.identity)))?.name : undefined;
  }

  /**
   * Fetches a group's frames from its mailboxes and processes the new ones
   * in an order its state can take: operations in epoch order before the
   * messages of their epoch; an operation ahead waits for the ones before it.
   * Resolves to how many were stored.
   */
  async fetch(name: string): Promise<number> {
    const group = this.group(name);
    return (await fetchGroupFrames(this.core, group, (bytes) => this.receive(bytes))).stored;
  }
}
