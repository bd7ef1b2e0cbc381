/**
 * How the `sotto` command reports errors: one line "sotto: <what went wrong>"
 * and one line "hint: <what to do>", on stderr, exit status 1. Hints are
 * chosen by the error's name (never by its text).
 */

/** A hint for each error a user can cause. */
const HINTS: Record<string, string> = {
  NotInitialisedError: 'create an identity first: sotto init --name YOUR_NAME',
  AlreadyInitialisedError: 'a home keeps its identity for good; use another folder with --home DIR for a second one',
  UnknownContactError: 'add it with "sotto contacts add NAME PEERID" (see "sotto contacts list")',
  InvalidPeerIdError: 'a peer id looks like 12D3KooW...; the other person gets theirs with "sotto id"',
  InvalidContactNameError: 'use 1 to 64 characters, without control characters or surrounding spaces',
  ContactIdentityChangedError: 'compare safety numbers with your contact; if the new key is theirs, run "sotto contacts add NAME PEERID --accept-new-key"',
  DuplicatePeerError: 'that peer is already in "sotto contacts list" under another name',
  InvalidMessageError: 'a message needs 1 to 61,440 bytes of text',
  DatabaseLockedError: 'another sotto process uses this home; stop it, or use "sotto start" there and run commands against it',
  PortInUseError: 'choose another port: --listen /ip4/0.0.0.0/tcp/PORT (0 picks a free one)',
  NodeAlreadyRunningError: 'the other commands talk to the running node; stop it first (Ctrl-C) for "start" or "passphrase"',
  InvalidMultiaddrError: 'a multiaddr looks like /ip4/192.0.2.1/tcp/4001 (with /p2p/PEERID for --bootstrap)',
  SchemaVersionError: 'this home was written by a newer Sotto; upgrade Sotto',
  WrongPassphraseError: 'try again; the passphrase was set with "sotto init" or changed with "sotto passphrase"',
  PassphraseRequiredError: 'type it when asked (run from a terminal), or set SOTTO_PASSPHRASE for unattended use',
  WeakPassphraseError: 'choose a longer passphrase, the same both times',
  NotEncryptedError: 'to encrypt it, export it ("sotto export") and import it into a new home created with a passphrase',
};

/** Prints an error in the CLI's format. */
export function reportError(err: unknown, write: (line: string) => void): void {
  const name = err instanceof Error ? err.name : 'Error';
  const message = err instanceof Error ? err.message : String(err);
  write(`sotto: ${message}`);
  write(`hint: ${HINTS[name] ?? 'run "sotto --help" for usage'}`);
}
