/**
 * How the `sotto` command reports errors: one line "sotto: <what went wrong>"
 * and one line "hint: <what to do>", on stderr, exit status 1. Hints are
 * chosen by the error's name (never by its text).
 */
import { terminalLine } from '../terminal-text.ts';
import { MIN_PASSPHRASE_LENGTH } from '../passphrase.ts';
import { UsageError, usageHint } from './usage.ts';

/** A hint for each error a user can cause. */
const HINTS: Record<string, string> = {
  NotInitialisedError: 'create one with "sotto" on a terminal (or "sotto init --name YOUR_NAME"), or give the home that has one: --home DIR',
  HalfMadeHomeError: 'start over with "sotto init --start-over" ("sotto import FILE --start-over" to restore an archive there; or run "sotto" on a terminal and answer y): nothing in it can be used, and a home with an identity is never deleted',
  UnknownHomeDatabaseError: 'move it aside (mv DIR DIR.old) to start a new identity there, or choose another home with --home DIR',
  CancelledError: 'nothing was created or changed; run the command again when you are ready',
  AlreadyInitialisedError: 'a home keeps its identity for good (--start-over replaces only a half-made home); use another folder with --home DIR for a second one',
  UnknownContactError: 'add it with "sotto contacts add NAME PEERID" (see "sotto contacts list")',
  UnknownGroupError: 'see your groups with "sotto group list"; make one with "sotto group create NAME MEMBER..."',
  GroupNameTakenError: 'choose another name (see "sotto group list")',
  GroupKeyPackageMissingError: 'the contact\'s node sends one the first time both nodes are online; try again once it has been online',
  GroupAddBlockedError: 'an earlier invitee has not come online yet; try again once it has, or remove it first',
  NotGroupAdminError: 'only an admin of the group can add or remove members (see "sotto group list")',
  NotGroupMemberError: 'see the members with "sotto group list"',
  GroupFrameTooLargeError: 'the group is too large for this version to carry the change; see docs/GROUPS.md, "Sizes"',
  InvalidPeerIdError: 'a peer id looks like 12D3KooW...; the other person gets theirs with "sotto id"',
  InvalidContactNameError: 'use 1 to 64 characters: no control, bidirectional or invisible characters, no surrounding spaces, not a peer id',
  ContactIdentityChangedError: 'compare safety numbers with your contact; if the new key is theirs, run "sotto contacts add NAME PEERID --accept-new-key"',
  DuplicatePeerError: 'that peer is already in "sotto contacts list" under another name',
  InvalidMessageError: 'a message needs 1 to 61,440 bytes of text',
  UnsafeHomeError: 'a home must be a real folder (not a symbolic link) that belongs to you and that only you can write to: check it with ls -ld, fix it (chown, chmod 700) or choose another with --home DIR',
  DatabaseLockedError: 'another sotto process uses this home; stop it, or use "sotto start" there and run commands against it',
  SwarmKeyFileError: 'give the file written by "sotto swarm-key new FILE" (the same file on every node of the network)',
  InvalidSwarmKeyError: 'a swarm key file has three lines: /key/swarm/psk/1.0.0/, /base16/ and 64 hex digits; make one with "sotto swarm-key new FILE"',
  PortInUseError: 'choose another port: --listen /ip4/0.0.0.0/tcp/PORT (0 picks a free one)',
  NodeAlreadyRunningError: 'the other commands talk to the running node; stop it first ("sotto stop", or Ctrl-C) for "start", "passphrase" or "export"',
  NodeNotRunningError: 'start one with "sotto start --detach" (or "sotto start" in a terminal of its own)',
  NodeStartFailedError: 'the reason is at the end of node.log in the home; "sotto start" in the foreground shows it too',
  NodeStartTimeoutError: 'see node.log in the home; a slow disk or a long network wait can delay the start, try again',
  StartInterruptedError: 'run "sotto start --detach" again to start it',
  SettingsFileError: 'fix the file by hand or delete it (the defaults then apply); "sotto config list" shows what it holds once it reads',
  UnknownSettingError: 'the settings are bootstrap, listen, mdns, mailbox, relay, upnp, web, swarm-key and files-quota ("sotto config --help")',
  InvalidSettingError: 'see "sotto config --help" for what each setting takes',
  InvalidMultiaddrError: 'a multiaddr looks like /ip4/192.0.2.1/tcp/4001 (with /p2p/PEERID for --bootstrap)',
  SchemaVersionError: 'this home was written by a newer Sotto; upgrade Sotto',
  WrongPassphraseError: 'try again; the passphrase was set with "sotto init" or changed with "sotto passphrase"',
  PassphraseRequiredError: 'type it when asked (run from a terminal), or set SOTTO_PASSPHRASE (SOTTO_BACKUP_PASSPHRASE for an archive) for unattended use',
  WeakPassphraseError: `choose a longer one (at least ${MIN_PASSPHRASE_LENGTH} characters): a few words you will remember are stronger than one short word with symbols`,
  PassphraseMismatchError: 'type the same passphrase both times (nothing was created or changed)',
  NotEncryptedError: 'to encrypt it, export it ("sotto export") and import it into a new home created with a passphrase',
  OutputFileExistsError: 'choose another file name, or pass --force to replace it',
  NotABackupError: 'give the file written by "sotto export"',
  WrongBackupPassphraseError: 'try again with the passphrase chosen at "sotto export" (or set SOTTO_BACKUP_PASSPHRASE); nothing was written',
  BackupCorruptError: 'the file was damaged or altered; use another copy of the archive (nothing was written)',
  BackupTooLargeError: 'an archive holds at most 256 MiB; nothing was written',
  VersionTooNewError: 'it was written by a newer Sotto; upgrade Sotto',
  VersionTooOldError: 'it was written by an older format this Sotto no longer reads',
  InvalidInviteError: 'copy the whole line "sotto invite" printed, from SOTTO: to the end (or scan its QR code)',
  InviteSignatureError: 'the invite was changed after it was made: ask your contact for a new one, over a channel you trust',
  OwnInviteError: 'give this invite to your contact; add theirs with "sotto contacts add --invite THEIR_INVITE"',
  InvalidInviteAddressError: 'give a multiaddr such as /ip4/192.0.2.1/tcp/4001 (at most 8, without another peer\'s /p2p/ id)',
  ContactsAddUsageError: 'with --invite, NAME is optional (the invite names them) and there is no PEERID',
  ConfirmationRequiredError: 'compare the numbers on both devices, then run "sotto verify NAME --yes" (or run it in a terminal to be asked)',
  WebAppNotBuiltError: 'build it with "npm run build:web" (npm ci builds it too)',
  NoWebSocketAddressError: 'add a WebSocket address such as --listen /ip4/0.0.0.0/tcp/0/ws, or leave out --listen',
  WebPortUnavailableError: 'another program uses that port: choose another with --web PORT (a browser keeps one identity per port)',
  InvalidWebPortError: 'give a port such as --web 7420, or --web alone for the default',
  WebPrivateNetworkError: 'serve browsers from a node of an open network, or leave out --web (docs/WEB.md, "Private networks")',
  FileNameError: 'rename the file (or copy it under another name) and send that',
  FileChangedError: 'wait until nothing writes to the file (or send a copy of it), then send it again',
  FileQuotaError: 'delete messages with files you no longer need ("sotto delete NAME --message ID"), or raise the quota: sotto config set files-quota SIZE (then restart the node)',
  FileDiskFullError: 'free some space on the disk that holds the home; the transfer goes on from where it stopped once there is room',
  FileNotCompleteError: 'wait until "sotto history" shows the file complete (both nodes online), then save it',
  FileDigestError: 'the file does not match what the sender described; ask them to send it again',
  FileExistsError: 'choose another destination, or pass --overwrite to replace it',
  UnknownFileError: 'give the id of a message that carries a file ("id" in sotto history NAME --json)',
  FileNotFoundError: 'check the path (ls -l PATH); a relative path is taken from the folder the command runs in',
  NotRegularFileError: 'give the path of a file (not a folder or a device); to send a folder, pack it into one file first (tar, zip)',
  FileTooLargeError: 'split it into parts of at most 4 GiB (split -b 4G FILE) and send each',
  VerificationDeclinedError: 'if the numbers differ, you may not be talking to who you think: compare again in person or on a call',
};

/** Prints an error in the CLI's format; its message may quote another peer, so it goes through terminalLine. */
export function reportError(err: unknown, write: (line: string) => void): void {
  const name = err instanceof Error ? err.name : 'Error';
  const message = err instanceof Error ? err.message : String(err);
  write(`sotto: ${terminalLine(message)}`);
  write(`hint: ${err instanceof UsageError ? usageHint(err) : (HINTS[name] ?? 'run "sotto --help" for usage')}`);
}
