/**
 * Group members for tests: each has its own seeded context (one shared test
 * clock), a Sotto identity, and its group state once it is in a group.
 * `deliver` hands a frame to members as a mailbox would and asserts it was
 * accepted; states are kept only through encode/decode where a test asks.
 */
import assert from 'node:assert/strict';
import { generateIdentity, type IdentityKeyPair } from '../../src/crypto/identity.ts';
import { loadNodePrimitives } from '../../src/crypto/primitives/node-best.ts';
import {
  createKeyPackage,
  processGroupFrame,
  type GroupEnv,
  type GroupEvent,
  type GroupKeyPackageSecrets,
  type GroupState,
  type GroupCiphersuiteId,
} from '../../src/node/groups/index.ts';
import { testClock, testContext, type TestClock } from './context.ts';

/** One person in group tests. */
export interface Member {
  readonly name: string;
  readonly env: GroupEnv;
  readonly identity: IdentityKeyPair;
  state?: GroupState;
  /** Key package secrets by record (hex), kept until a Welcome uses one. */
  readonly secrets: Map<string, GroupKeyPackageSecrets>;
}

/** Members sharing one test clock. */
export async function makeMembers(names: readonly string[], options: { clock?: TestClock; suite?: GroupCiphersuiteId } = {}): Promise<Member[]> {
  const clock = options.clock ?? testClock();
  const primitives = await loadNodePrimitives();
  return Promise.all(
    names.map(async (name) => {
      const ctx = testContext(`group-member-${name}`, { primitives, clock });
      const env: GroupEnv = options.suite === undefined ? { ctx } : { ctx, suite: options.suite };
      return { name, env, identity: await generateIdentity(ctx), secrets: new Map() };
    }),
  );
}

/** A fresh published key package record of `member` (its secrets kept by the member). */
export async function keyPackageOf(member: Member): Promise<Uint8Array> {
  const { record, secrets } = await createKeyPackage(member.env, member.identity);
  member.secrets.set(Buffer.from(record).toString('hex'), secrets);
  return record;
}

/** The secrets of the key package `record` of `member`. */
export function secretsOf(member: Member, record: Uint8Array): GroupKeyPackageSecrets {
  const secrets = member.secrets.get(Buffer.from(record).toString('hex'));
  assert.ok(secrets, `${member.name} made no key package with that record`);
  return secrets;
}

/** Processes `frame` at each member, asserting success; returns each member's event. */
export async function deliver(frame: Uint8Array, members: readonly Member[]): Promise<GroupEvent[]> {
  const events: GroupEvent[] = [];
  for (const member of members) {
    assert.ok(member.state, `${member.name} is in no group`);
    const { state, event } = await processGroupFrame(member.env, member.state, frame);
    member.state = state;
    events.push(event);
  }
  return events;
}

/** The text of an application event (asserting it is one). */
export function textOf(event: GroupEvent): string {
  assert.equal(event.kind, 'application');
  return new TextDecoder().decode(event.plaintext);
}

/** UTF-8 bytes. */
export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
