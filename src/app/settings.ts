/**
 * The node settings a home keeps, so that `npm start`, `sotto start` and
 * `sotto chat` need no flags after the first time: bootstrap peers, listen
 * addresses, mDNS, the mailbox and relay roles, the `--web` port, the
 * swarm key file and the quota of received files. They live in `settings.json` in the home (mode 0600,
 * written atomically), a file rather than records of the encrypted
 * database: `sotto config` reads and changes them without the passphrase
 * and while a node holds the database, and they hold nothing secret (the
 * swarm key stays in its own file; this one names it).
 *
 * ```json
 * {"version": 1, "bootstrap": ["/ip4/192.0.2.1/tcp/4001/p2p/12D3KooW…"], "listen": ["/ip4/0.0.0.0/tcp/41234"],
 *  "listenPicked": true, "mdns": true, "mailbox": false, "relay": false, "upnp": false, "web": 7420, "swarmKey": "/home/me/team.key",
 *  "filesQuota": 21474836480}
 * ```
 *
 * Every field is optional; a missing one takes the default. Flags given on
 * the command line win for that run and are remembered once the node has
 * started (README, "Settings"): `--bootstrap` adds to the list, the others
 * replace the setting.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { multiaddr } from '@multiformats/multiaddr';
import { SottoError } from '../crypto/errors.ts';
import { FILES_DEFAULT_QUOTA_BYTES, WEB_DEFAULT_PORT } from '../node/constants.ts';
import { peerIdFromText } from '../node/encoding/peer-id.ts';
import { writeFileAtomic } from './atomic-file.ts';
import type { HomePaths } from './home.ts';
import { count, sizeText } from './plural.ts';
import { parseSize } from './size-text.ts';

/** The settings file, in the home. */
export const SETTINGS_FILE = 'settings.json';
/** Version of the settings file's layout. */
export const SETTINGS_VERSION = 1;
/** Largest settings file read (a full one is a few KiB). */
export const SETTINGS_MAX_FILE_BYTES = 64 * 1024;
/** Most bootstrap or listen addresses kept (the newest `--bootstrap` first; older ones beyond it are dropped). */
export const SETTINGS_MAX_ADDRESSES = 32;
/** Longest address or file name kept. */
const SETTINGS_MAX_TEXT_LENGTH = 1024;
/** Highest TCP port number. */
const MAX_PORT = 65_535;

/** What a home's settings say; a missing field takes the default. */
export interface Settings {
  /** Peers to join the network through, each with /p2p/<peer id>. */
  readonly bootstrap?: readonly string[];
  /** Where the node listens. */
  readonly listen?: readonly string[];
  /** `listen` holds the free ports the node picked at its first start (not ones the user chose): taken ones are picked again. */
  readonly listenPicked?: boolean;
  /** Discover peers on the LAN by mDNS; missing: on unless every listen address is loopback. */
  readonly mdns?: boolean;
  readonly mailbox?: boolean;
  readonly relay?: boolean;
  /** Ask the home router (UPnP, NAT-PMP) to forward the listen port; missing: off. */
  readonly upnp?: boolean;
  /** Serve the browser app on this port of 127.0.0.1 (0: pick one and keep it); false or missing: do not. */
  readonly web?: number | false;
  /** The swarm key file of a private network (an absolute path). */
  readonly swarmKey?: string;
  /** Received files kept at most, bytes (FILES_DEFAULT_QUOTA_BYTES when missing). */
  readonly filesQuota?: number;
}

/**
 * The flags of one `start` or `chat`, named as the settings they set
 * (undefined: not given); `web` may also be true: `--web` alone, the port
 * the home keeps, else WEB_DEFAULT_PORT.
 */
export type NodeFlags = Omit<Settings, 'listenPicked' | 'web' | 'filesQuota'> & { readonly web?: number | boolean };

/** The names `sotto config` knows, in the order `config list` shows them. */
export const SETTING_NAMES = ['bootstrap', 'listen', 'mdns', 'mailbox', 'relay', 'upnp', 'web', 'swarm-key', 'files-quota'] as const;
/** One of {@link SETTING_NAMES}. */
export type SettingName = (typeof SETTING_NAMES)[number];

/** The settings file cannot be read, or holds something that is not settings. Nothing was changed. */
export class SettingsFileError extends SottoError {
  override readonly name = 'SettingsFileError';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`cannot use the settings in ${path}: ${reason}`);
  }
}

/** `sotto config` was given a name it does not know. */
export class UnknownSettingError extends SottoError {
  override readonly name = 'UnknownSettingError';
  constructor(readonly setting: string) {
    super(`no setting is called ${JSON.stringify(setting)}`);
  }
}

/** A value that the setting cannot take. */
export class InvalidSettingError extends SottoError {
  override readonly name = 'InvalidSettingError';
  constructor(
    readonly setting: string,
    readonly reason: string,
  ) {
    super(`${setting}: ${reason}`);
  }
}

/** The settings file of `home`. */
export function settingsPath(home: HomePaths): string {
  return join(home.root, SETTINGS_FILE);
}

/** Checks one multiaddr; `needPeerId`: it must end in /p2p/<a valid peer id>. Returns its canonical text. */
function checkAddress(setting: string, value: unknown, needPeerId: boolean): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > SETTINGS_MAX_TEXT_LENGTH) throw new InvalidSettingError(setting, 'an address is a multiaddr text');
  let text: string;
  let last;
  try {
    const ma = multiaddr(value);
    text = ma.toString();
    last = ma.getComponents().at(-1);
  } catch {
    throw new InvalidSettingError(setting, `${JSON.stringify(value)} is not a multiaddr`);
  }
  if (needPeerId) {
    try {
      if (last?.name !== 'p2p') throw new Error('no /p2p/');
      peerIdFromText(last.value!);
    } catch {
      throw new InvalidSettingError(setting, `${text} does not end in /p2p/<peer id>`);
    }
  }
  if (text === '/p2p-circuit') throw new InvalidSettingError(setting, 'the bare /p2p-circuit is not an address to listen on');
  return text;
}

function checkAddresses(setting: string, value: unknown, needPeerId: boolean): string[] {
  if (!Array.isArray(value)) throw new InvalidSettingError(setting, 'a list of multiaddrs');
  if (value.length > SETTINGS_MAX_ADDRESSES) throw new InvalidSettingError(setting, `at most ${SETTINGS_MAX_ADDRESSES} addresses`);
  return [...new Set(value.map((v) => checkAddress(setting, v, needPeerId)))];
}

function checkBoolean(setting: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new InvalidSettingError(setting, 'on or off');
  return value;
}

function checkWeb(value: unknown): number | false {
  if (value === false) return false;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_PORT) throw new InvalidSettingError('web', `a port from 0 to ${MAX_PORT}, or off`);
  return value;
}

function checkQuota(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new InvalidSettingError('files-quota', 'a size such as 20GiB, 500MB or 0 (receive no large files)');
  return value;
}

function checkPath(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > SETTINGS_MAX_TEXT_LENGTH || value.includes('\0')) throw new InvalidSettingError('swarm-key', 'a file name');
  return resolve(value);
}

/** Checks settings read from a file or built by `config set`; returns them in canonical form. Throws InvalidSettingError. */
export function checkSettings(value: Record<string, unknown>): Settings {
  return {
    ...(value['bootstrap'] === undefined ? {} : { bootstrap: checkAddresses('bootstrap', value['bootstrap'], true) }),
    ...(value['listen'] === undefined ? {} : { listen: checkAddresses('listen', value['listen'], false) }),
    ...(value['listenPicked'] === true ? { listenPicked: true } : {}),
    ...(value['mdns'] === undefined ? {} : { mdns: checkBoolean('mdns', value['mdns']) }),
    ...(value['mailbox'] === undefined ? {} : { mailbox: checkBoolean('mailbox', value['mailbox']) }),
    ...(value['relay'] === undefined ? {} : { relay: checkBoolean('relay', value['relay']) }),
    ...(value['upnp'] === undefined ? {} : { upnp: checkBoolean('upnp', value['upnp']) }),
    ...(value['web'] === undefined ? {} : { web: checkWeb(value['web']) }),
    ...(value['swarmKey'] === undefined ? {} : { swarmKey: checkPath(value['swarmKey']) }),
    ...(value['filesQuota'] === undefined ? {} : { filesQuota: checkQuota(value['filesQuota']) }),
  };
}

/** The settings of `home` ({} when it has no settings file). Throws SettingsFileError. */
export async function readSettings(home: HomePaths): Promise<Settings> {
  const path = settingsPath(home);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return {};
    throw new SettingsFileError(path, String((err as { code?: string }).code ?? err));
  }
  if (bytes.length > SETTINGS_MAX_FILE_BYTES) throw new SettingsFileError(path, `larger than ${SETTINGS_MAX_FILE_BYTES} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new SettingsFileError(path, 'not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SettingsFileError(path, 'not a JSON object');
  const version = (value as { version?: unknown }).version;
  if (version !== SETTINGS_VERSION) throw new SettingsFileError(path, `version ${JSON.stringify(version)}, this Sotto reads version ${SETTINGS_VERSION}`);
  try {
    return checkSettings(value as Record<string, unknown>);
  } catch (err) {
    if (err instanceof InvalidSettingError) throw new SettingsFileError(path, err.message);
    throw err;
  }
}

/** Writes the settings of `home` (mode 0600, atomically). */
export async function writeSettings(home: HomePaths, settings: Settings): Promise<void> {
  const text = `${JSON.stringify({ version: SETTINGS_VERSION, ...settings }, null, 2)}\n`;
  await writeFileAtomic(settingsPath(home), new TextEncoder().encode(text), { overwrite: true });
}

/** True when both settings say the same. */
export function sameSettings(a: Settings, b: Settings): boolean {
  return JSON.stringify(checkSettings({ ...a })) === JSON.stringify(checkSettings({ ...b }));
}

/**
 * The settings once `flags` are remembered: `--bootstrap` addresses join
 * the front of the list (at most SETTINGS_MAX_ADDRESSES, the oldest
 * dropped), every other flag given replaces its setting. Throws
 * InvalidSettingError for a flag value the setting cannot take.
 */
export function withFlags(settings: Settings, flags: NodeFlags): Settings {
  const next: Record<string, unknown> = { ...settings };
  if (flags.bootstrap !== undefined && flags.bootstrap.length > 0) {
    const given = checkAddresses('bootstrap', [...flags.bootstrap], true);
    next['bootstrap'] = [...new Set([...given, ...(settings.bootstrap ?? [])])].slice(0, SETTINGS_MAX_ADDRESSES);
  }
  if (flags.listen !== undefined && flags.listen.length > 0) {
    next['listen'] = checkAddresses('listen', [...flags.listen], false);
    delete next['listenPicked'];
  }
  for (const name of ['mdns', 'mailbox', 'relay', 'upnp'] as const) if (flags[name] !== undefined) next[name] = flags[name];
  if (flags.web !== undefined) next['web'] = flags.web === true ? webPortOf(settings) : flags.web;
  if (flags.swarmKey !== undefined) next['swarmKey'] = flags.swarmKey;
  return checkSettings(next);
}

/**
 * The port of `--web` given alone: the one the home keeps (so the page's
 * origin, and the browser identity in it, stays), else WEB_DEFAULT_PORT.
 */
export function webPortOf(settings: Settings): number {
  return typeof settings.web === 'number' && settings.web !== 0 ? settings.web : WEB_DEFAULT_PORT;
}

/**
 * The settings after a start that listened on `bound` (the node's TCP and
 * WebSocket addresses) and served the page on `webPort`: listen addresses
 * the node picked are pinned to the ports it got, so that peers that
 * remember it find it there next time; a web port picked (0) is kept, so
 * that the page's origin, and with it the browser's copy of the identity,
 * stays the same.
 */
export function afterStart(settings: Settings, bound: readonly string[], webPort: number | undefined): Settings {
  const next: Record<string, unknown> = { ...settings };
  if (settings.listen === undefined || settings.listenPicked === true) {
    const picked = pickedListen(bound);
    if (picked.length > 0) {
      next['listen'] = picked;
      next['listenPicked'] = true;
    }
  }
  if (settings.web === 0 && webPort !== undefined) next['web'] = webPort;
  return checkSettings(next);
}

/** One wildcard listen address per transport the node bound (`/ip4/0.0.0.0/tcp/P`, `/ip4/0.0.0.0/tcp/P/ws`), from its addresses. */
function pickedListen(bound: readonly string[]): string[] {
  const out = new Map<string, string>();
  for (const address of bound) {
    let names: string[];
    let values: (string | undefined)[];
    try {
      const components = multiaddr(address).getComponents();
      names = components.map((c) => c.name);
      values = components.map((c) => c.value);
    } catch {
      continue;
    }
    if (names[0] !== 'ip4' || names[1] !== 'tcp') continue;
    const rest = names.slice(2).filter((n) => n !== 'p2p');
    const kind = rest.length === 0 ? 'tcp' : rest.length === 1 && rest[0] === 'ws' ? 'ws' : undefined;
    if (kind === undefined || out.has(kind)) continue;
    out.set(kind, `/ip4/0.0.0.0/tcp/${values[1]}${kind === 'ws' ? '/ws' : ''}`);
  }
  return [...out.values()];
}

/** The field of the settings file behind each name `sotto config` knows. */
const FIELDS: Readonly<Record<SettingName, keyof Settings>> = {
  bootstrap: 'bootstrap',
  listen: 'listen',
  mdns: 'mdns',
  mailbox: 'mailbox',
  relay: 'relay',
  upnp: 'upnp',
  web: 'web',
  'swarm-key': 'swarmKey',
  'files-quota': 'filesQuota',
};

/** `name` as a setting name. Throws UnknownSettingError. */
export function settingName(name: string): SettingName {
  if (!(SETTING_NAMES as readonly string[]).includes(name)) throw new UnknownSettingError(name);
  return name as SettingName;
}

/** The value of one setting as `sotto config get --json` prints it: null when it is not set (the default applies). */
export function settingValue(settings: Settings, name: SettingName): readonly string[] | boolean | number | string | null {
  const value = settings[FIELDS[name]];
  return value === undefined ? null : (value as readonly string[] | boolean | number | string);
}

const ON = ['on', 'true', 'yes'];
const OFF = ['off', 'false', 'no'];

/**
 * The settings with `name` set from the words given to `sotto config set`:
 * one or more multiaddrs for bootstrap and listen (they replace the list),
 * on or off for mdns, mailbox, relay and upnp, a port or off for web, a file for
 * swarm-key, a size for files-quota (./size-text.ts). Throws InvalidSettingError.
 */
export function setSetting(settings: Settings, name: SettingName, words: readonly string[]): Settings {
  const list = name === 'bootstrap' || name === 'listen';
  if (words.length === 0 || (!list && words.length > 1)) throw new InvalidSettingError(name, list ? 'give one or more multiaddrs' : 'give one value');
  const word = words[0]!;
  const next: Record<string, unknown> = { ...settings };
  if (list) {
    next[FIELDS[name]] = [...words];
    if (name === 'listen') delete next['listenPicked'];
  } else if (name === 'web') {
    next['web'] = OFF.includes(word.toLowerCase()) ? false : /^\d{1,5}$/.test(word) ? Number(word) : NaN;
  } else if (name === 'swarm-key') {
    next['swarmKey'] = word;
  } else if (name === 'files-quota') {
    next['filesQuota'] = parseSize(word) ?? NaN;
  } else {
    const on = ON.includes(word.toLowerCase());
    if (!on && !OFF.includes(word.toLowerCase())) throw new InvalidSettingError(name, `on or off, not ${JSON.stringify(word)}`);
    next[FIELDS[name]] = on;
  }
  return checkSettings(next);
}

/** The settings without `name`: its default applies again. */
export function unsetSetting(settings: Settings, name: SettingName): Settings {
  const next: Record<string, unknown> = { ...settings };
  delete next[FIELDS[name]];
  if (name === 'listen') delete next['listenPicked'];
  return checkSettings(next);
}

/** One setting in words: its value, or what applies when it is not set. */
export function describeSetting(settings: Settings, name: SettingName): string {
  const value = settingValue(settings, name);
  if (value === null) {
    const defaults: Record<SettingName, string> = {
      bootstrap: '(none)',
      listen: '(free ports on every interface, kept after the first start)',
      mdns: '(on unless the node listens on loopback only)',
      mailbox: 'off',
      relay: 'off',
      upnp: 'off',
      web: 'off',
      'swarm-key': '(none: an open network)',
      'files-quota': `${sizeText(FILES_DEFAULT_QUOTA_BYTES)} (the default)`,
    };
    return defaults[name];
  }
  if (Array.isArray(value)) return `${value.join(' ')}${name === 'listen' && settings.listenPicked === true ? ' (ports picked at the first start)' : ''}`;
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (name === 'files-quota') return `${sizeText(value as number)} (${count(value as number, 'byte')})`;
  return String(value);
}
