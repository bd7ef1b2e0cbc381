/**
 * A transfer between two `sotto start` processes survives kill -9 of either
 * side (docs/FILES.md, "Resumable"): the receiver killed past 40 % resumes
 * after its restart and fetches again at most one window of chunks
 * (FILE_WINDOW_CHUNKS, one holder) besides the ones it had not recorded —
 * counted by the sender (`sotto status --json`, "files": chunks served per
 * file); the sender killed past 40 % and started again, the receiver
 * completes. Both end with the sender's SHA-256.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { FILE_CHUNK_BYTES, FILE_WINDOW_CHUNKS } from '../../src/node/constants.ts';
import { sotto } from '../helpers/cli.ts';
import { FileTestRun, fileLineOf, servedBy, waitForComplete, waitForFile, type FileHome } from '../helpers/file-homes.ts';

const run = new FileTestRun();
after(() => run.close());

const MIB = 1024 * 1024;
/** Large enough that a history poll (one `sotto` process) lands between 40 % and the end on a fast machine. */
const SIZE = 512 * MIB;
const CHUNKS = SIZE / FILE_CHUNK_BYTES;

/** Sends a new SIZE file from alice to bob and waits until bob holds 40 % of it (and not all). */
async function halfway(alice: FileHome, bob: FileHome, name: string): Promise<{ sha256: string; fileId: string }> {
  const file = await run.randomFile(name, SIZE);
  const sent = await sotto(alice.home, ['send', 'bob', '--file', file.path]);
  assert.equal(sent.code, 0, sent.stderr);
  const line = await waitForFile(bob, 'alice', name, (l) => l.file!.state !== 'pending' && (l.file!.state !== 'partial' || l.file!.received! >= 0.4 * SIZE), 120_000);
  assert.equal(line.file!.state, 'partial', `the fetch was still under way at 40 %: ${JSON.stringify(line.file)}`);
  const served = await servedBy(alice);
  const [fileId] = Object.keys(served.files).filter((id) => served.files[id]!.peers[bob.peerId] !== undefined && served.files[id]!.chunks < CHUNKS);
  return { sha256: file.sha256, fileId: fileId! };
}

test('bob killed with SIGKILL past 40 % resumes after his restart: complete, and at most one window fetched twice', { timeout: 300_000 }, async (t) => {
  const [alice, bob] = await run.contacts(['alice', 'bob']);
  const { sha256, fileId } = await halfway(alice!, bob!, 'receiver-killed.bin');
  await run.kill(bob!);

  // What bob recorded before he died (read from his home, no node running), and what alice had served him by then.
  const kept = (await fileLineOf(bob!, 'alice', 'receiver-killed.bin'))!.file!;
  assert.equal(kept.state, 'partial');
  const held = Math.ceil(kept.received! / FILE_CHUNK_BYTES);
  const missing = CHUNKS - held;
  const servedBefore = (await servedBy(alice!)).files[fileId]!.chunks;

  await run.start(bob!);
  await waitForComplete(bob!, 'alice', 'receiver-killed.bin', { size: SIZE, sha256 }, 240_000);
  const servedAfter = (await servedBy(alice!)).files[fileId]!.chunks - servedBefore;
  t.diagnostic(`receiver kill -9 at ${held}/${CHUNKS} chunks recorded: ${servedAfter} chunks fetched after the restart for ${missing} missing (${servedAfter - missing} again); ${servedBefore + servedAfter - CHUNKS} chunks served twice in all`);
  assert.ok(servedAfter >= missing, `every missing chunk was fetched (${servedAfter} of ${missing})`);
  assert.ok(servedAfter <= missing + FILE_WINDOW_CHUNKS, `at most one window fetched again: ${servedAfter} for ${missing} missing`);
  await run.stop(bob!);
  await run.stop(alice!);
});

test('alice killed with SIGKILL past 40 % and started again: bob completes the file', { timeout: 300_000 }, async () => {
  const [alice, bob] = await run.contacts(['alice', 'bob']);
  const { sha256 } = await halfway(alice!, bob!, 'sender-killed.bin');
  await run.kill(alice!);
  const stalled = (await fileLineOf(bob!, 'alice', 'sender-killed.bin'))!.file!;
  assert.equal(stalled.state, 'partial', 'the file waits for its holder');

  await run.start(alice!);
  await waitForComplete(bob!, 'alice', 'sender-killed.bin', { size: SIZE, sha256 }, 240_000);
  await run.stop(bob!);
  await run.stop(alice!);
});
