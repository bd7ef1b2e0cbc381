/**
 * A home's files (docs/FILES.md): the store of sealed chunks in the home's
 * `files/` folder, the file service over it, and the commands' FileApi. A
 * running node starts the service with its network (it serves and fetches);
 * a command on a home no node runs opens it without one (it seals and
 * saves).
 */
import type { CryptoContext } from '../crypto/context.ts';
import type { Scheduler } from '../node/core/core.ts';
import { FileService, groupMembership } from '../node/files/file-service.ts';
import { FileStore } from '../node/files/file-store.ts';
import type { GroupService } from '../node/groups/group-service.ts';
import type { Messenger } from '../node/messaging/messenger.ts';
import type { SottoStore } from '../node/store/store.ts';
import type { Network } from '../node/transport/network.ts';
import { fileMethods, type FileApi } from './file-api.ts';
import type { HomePaths } from './home.ts';

/** What openHomeFiles needs. */
export interface HomeFilesInit {
  readonly ctx: CryptoContext;
  readonly store: SottoStore;
  readonly messenger: Messenger;
  readonly scheduler: Scheduler;
  readonly groups?: GroupService;
  readonly network?: Network;
  /** Whether a connection to a peer is open now (with `network`). */
  readonly isConnected?: (peerId: string) => boolean;
  /** Received files kept at most (the home's `files-quota` setting); the default when absent. */
  readonly quotaBytes?: number;
}

/** A home's open files. */
export interface HomeFiles {
  readonly service: FileService;
  readonly store: FileStore;
  readonly api: FileApi;
  /** Stops the service and closes the store (before the home's database closes). */
  close(): Promise<void>;
}

/** Opens the files of `home` and starts their service. */
export async function openHomeFiles(home: HomePaths, init: HomeFilesInit): Promise<HomeFiles> {
  const { groups } = init;
  const store = await FileStore.open({
    store: init.store,
    ctx: init.ctx,
    dir: home.files,
    ...(init.quotaBytes === undefined ? {} : { quotaBytes: init.quotaBytes }),
    isGroupMember: groupMembership(groups),
  });
  const service = new FileService({ files: store, store: init.store, messenger: init.messenger, ctx: init.ctx, scheduler: init.scheduler, ...(groups ? { groups } : {}), ...(init.network ? { network: init.network } : {}), ...(init.isConnected ? { isConnected: init.isConnected } : {}) });
  await service.start();
  return {
    service,
    store,
    api: fileMethods(service, store, groups !== undefined),
    close: async () => {
      service.stop();
      await store.close();
    },
  };
}
