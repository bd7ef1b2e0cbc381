/**
 * Valid group encodings for the fuzz targets, made once by the real code: a
 * two-member group's frames (an application message, an operation that
 * removes and seals, a leave proposal, a Welcome) and a key package record.
 */
import { loadNodePrimitives } from '../src/crypto/primitives/node-best.ts';
import { generateIdentity } from '../src/crypto/identity.ts';
import { addMembers, createGroup, createKeyPackage, encryptGroupMessage, joinGroup, proposeLeave, removeMember, type GroupEnv } from '../src/node/groups/index.ts';
import { testContext } from '../test/helpers/context.ts';

let made: Promise<{ env: GroupEnv; frames: Uint8Array[]; record: Uint8Array }> | undefined;

/** The fixture (built on first use). */
export function groupFixture(): Promise<{ env: GroupEnv; frames: Uint8Array[]; record: Uint8Array }> {
  made ??= (async () => {
    const primitives = await loadNodePrimitives();
    const env: GroupEnv = { ctx: testContext('fuzz-group', { primitives }) };
    const alice = await generateIdentity(env.ctx);
    const bob = await generateIdentity(env.ctx);
    const { record, secrets } = await createKeyPackage(env, bob);
    const added = await addMembers(env, await createGroup(env, alice), [record]);
    const bobState = await joinGroup(env, bob, secrets, added.welcome!);
    const message = await encryptGroupMessage(env, added.state, new Uint8Array(40).fill(7));
    const leave = await proposeLeave(env, bobState);
    const removal = await removeMember(env, message.state, bob.public.signingKey);
    const { record: another } = await createKeyPackage(env, alice);
    return { env, frames: [message.frame, removal.operation, leave.proposal, added.welcome!], record: another };
  })();
  return made;
}
