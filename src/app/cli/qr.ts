/**
 * QR codes in the terminal, for invites and safety numbers. Two modules are
 * drawn per character cell (half blocks), so an invite with a few addresses
 * (QR version 7, 45 modules) takes 24 lines and 47 columns.
 *
 * On a terminal the code is drawn in explicit colours (black on white, ANSI),
 * so it scans the same on dark and light themes; elsewhere (a pipe, a file)
 * it is plain block characters without escape codes.
 */
import QRCode from 'qrcode';

/**
 * Error correction level: L recovers 7% of the code. A code shown on a screen
 * is not smudged or torn; the lowest level gives the smallest code.
 */
const QR_ERROR_CORRECTION = 'L';
/** Light modules around a plain-text code (scanners need a quiet zone; 2 keeps it short). */
const QR_PLAIN_MARGIN_MODULES = 2;

// eslint-disable-next-line no-control-regex
const ANSI_ESCAPE = /\u001b\[[0-9;]*m/g;

/** The lines of a QR code of `text`; `terminal` selects the coloured form. */
export async function qrLines(text: string, terminal: boolean): Promise<string[]> {
  const drawn = terminal
    ? await QRCode.toString(text, { type: 'terminal', small: true, errorCorrectionLevel: QR_ERROR_CORRECTION })
    : await QRCode.toString(text, { type: 'utf8', margin: QR_PLAIN_MARGIN_MODULES, errorCorrectionLevel: QR_ERROR_CORRECTION });
  const lines = drawn.split('\n');
  // The coloured form ends with a line that only resets the colours: drop it (each line already ends with a reset).
  while (lines.length > 0 && lines.at(-1)!.replace(ANSI_ESCAPE, '') === '') lines.pop();
  return lines;
}
