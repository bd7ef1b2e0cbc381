/**
 * Typed errors of the backup archive. Like every Sotto error they carry data,
 * are matched by `err.name`, and never contain a key, a passphrase, a contact
 * name or a message text. A too-old or too-new archive version is reported
 * with the crypto layer's VersionTooOldError / VersionTooNewError
 * (`what` = "backup archive").
 */
import { SottoError } from '../../crypto/errors.ts';

/** The file does not start with the archive magic: it is not a Sotto backup. */
export class NotABackupError extends SottoError {
  override readonly name = 'NotABackupError';
  constructor() {
    super('this file is not a Sotto backup archive');
  }
}

/**
 * The passphrase does not open this archive (its passphrase check differs).
 * A header damaged in its salt, cost or check reads the same way. Nothing was
 * written.
 */
export class WrongBackupPassphraseError extends SottoError {
  override readonly name = 'WrongBackupPassphraseError';
  constructor() {
    super('wrong passphrase for this backup archive');
  }
}

/**
 * The archive is damaged: truncated, a field out of range, a body that does
 * not authenticate, or a record that does not decode. `reason` names the
 * fault and at most the kind of record, never its key. Nothing was written.
 */
export class BackupCorruptError extends SottoError {
  override readonly name = 'BackupCorruptError';
  constructor(readonly reason: string) {
    super(`the backup archive is damaged: ${reason}`);
  }
}

/** An archive (read or about to be written) exceeds MAX_BACKUP_BYTES. */
export class BackupTooLargeError extends SottoError {
  override readonly name = 'BackupTooLargeError';
  constructor(readonly size: number, readonly limit: number) {
    super(`a backup archive of ${size} bytes exceeds the limit of ${limit} bytes`);
  }
}
