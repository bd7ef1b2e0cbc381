/**
 * A node start under the home's settings (./settings.ts): `sotto start`,
 * `sotto chat` and the first run read them, let the command line's flags
 * win, and once the node runs remember those flags with what the node
 * picked (free listen ports, a free web port), so that the next start
 * needs no flags.
 */
import type { HomePaths } from './home.ts';
import { PortInUseError, type RunningHome, type StartOptions } from './run-node.ts';
import { afterStart, readSettings, sameSettings, withFlags, writeSettings, type NodeFlags, type Settings } from './settings.ts';

/** The parts of StartOptions the settings decide. */
export type SettledOptions = Pick<StartOptions, 'listen' | 'bootstrap' | 'mdns' | 'mailbox' | 'relay' | 'upnp' | 'web' | 'swarmKey' | 'filesQuota' | 'onStarted'>;

/** The start options `settings` say (undefined mDNS: on unless the node listens on loopback only). */
export function optionsOf(settings: Settings): Omit<SettledOptions, 'onStarted'> {
  return {
    listen: settings.listen ?? [],
    bootstrap: settings.bootstrap ?? [],
    ...(settings.mdns === undefined ? {} : { mdns: settings.mdns }),
    mailbox: settings.mailbox ?? false,
    relay: settings.relay ?? false,
    upnp: settings.upnp ?? false,
    ...(settings.web === undefined || settings.web === false ? {} : { web: settings.web }),
    ...(settings.swarmKey === undefined ? {} : { swarmKey: settings.swarmKey }),
    ...(settings.filesQuota === undefined ? {} : { filesQuota: settings.filesQuota }),
  };
}

/**
 * Calls `start` with the options of `home`'s settings and `flags`, and
 * writes the settings once the node runs (before `start` resolves for a
 * chat, as soon as the node is ready for `sotto start`). When the listen
 * ports the node picked at an earlier start are taken now, it starts once
 * more on free ones and keeps those. Throws SettingsFileError,
 * InvalidSettingError, and `start`'s errors.
 */
export async function startWithSettings<T>(home: HomePaths, flags: NodeFlags, start: (options: SettledOptions) => Promise<T>): Promise<T> {
  const stored = await readSettings(home);
  const wanted = withFlags(stored, flags);
  const attempt = (settings: Settings): Promise<T> =>
    start({
      ...optionsOf(settings),
      onStarted: async (running: RunningHome) => {
        const next = afterStart(settings, running.node.addresses(), running.web?.port);
        if (!sameSettings(next, stored)) await writeSettings(home, next);
      },
    });
  try {
    return await attempt(wanted);
  } catch (err) {
    if (!(err instanceof PortInUseError) || wanted.listenPicked !== true) throw err;
    const { listen: _taken, listenPicked: _picked, ...rest } = wanted;
    return attempt(rest);
  }
}
