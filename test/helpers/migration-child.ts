/**
 * A process that opens a schema-1 classic-level store (encrypted with the
 * data key of MIGRATION_DATA_KEY_LABEL) and kills itself with SIGKILL right
 * after its Nth write batch, in the middle of the migration:
 *
 *   node --import tsx test/helpers/migration-child.ts LOCATION N
 */
import { ClassicLevel } from 'classic-level';
import { atRestCodecs } from '../../src/node/store/at-rest.ts';
import { levelBackend } from '../../src/node/store/backend.ts';
import { SottoStore } from '../../src/node/store/store.ts';
import { testContext } from './context.ts';
import { MIGRATION_DATA_KEY_LABEL } from './schema1.ts';

const [location, killAfter] = process.argv.slice(2) as [string, string];
const db = new ClassicLevel<string, Uint8Array>(location, { keyEncoding: 'utf8', valueEncoding: 'view' });
await db.open();
const backend = levelBackend(db as never);
let batches = 0;
const { values, names } = atRestCodecs(testContext('migration-child'), testContext(MIGRATION_DATA_KEY_LABEL).randomBytes(32));
const killing = {
  ...backend,
  batch: async (...args: Parameters<typeof backend.batch>) => {
    await backend.batch(...args);
    if (++batches === Number(killAfter)) process.kill(process.pid, 'SIGKILL');
  },
};
await new SottoStore(killing, values, names).open();
// Reached only when the migration needed fewer batches: the parent sees a normal exit.
process.exit(0);
