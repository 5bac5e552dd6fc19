import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { FrameworkError } from './errors';
import { checkTrusted } from './safe-files';
import { describeSystemError } from './system-error';

/** The most a config file may hold: 1 MiB. A larger "config file" is a mistake (or a device), not configuration. */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

/**
 * Reads a config file as UTF-8 text, or returns undefined when it has
 * disappeared since `stats` was taken. As root, a file that another account
 * owns, or that lies in a directory another account can change, is refused. Only a regular file is read, and at
 * most {@link MAX_CONFIG_FILE_BYTES}: a FIFO would block start-up forever and a
 * device such as `/dev/urandom` would never end. Invalid UTF-8 is an error
 * naming the line, never a replacement character in a value. `at` is where
 * this process reaches the file (its path inside a daemon's new root, see
 * process-root.ts); messages name `path`.
 */
export function readConfigFile(path: string, stats: Stats, at: string = path): string | undefined {
  checkKind(path, stats);
  try {
    // As root, only a file no other account could have written or could replace (safe-files.ts).
    checkTrusted(path);
  } catch (error) {
    throw cannotRead(path, describeSystemError(error));
  }
  let fd: number;
  try {
    // O_NONBLOCK and O_NOCTTY: should the path become a FIFO or a terminal after the check, opening it neither waits nor adopts it.
    fd = openSync(at, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw cannotRead(path, describeSystemError(error));
  }
  let bytes: Buffer;
  try {
    checkKind(path, fstatSync(fd));
    bytes = readAtMost(fd, path, stats.size);
  } finally {
    closeSync(fd);
  }
  if (!isUtf8(bytes)) throw invalidUtf8(path, bytes);
  return bytes.toString('utf8');
}

function checkKind(path: string, stats: Stats): void {
  if (stats.isFile()) {
    if (stats.size > MAX_CONFIG_FILE_BYTES) throw tooLarge(path);
    return;
  }
  if (stats.isDirectory()) throw cannotRead(path, 'is a directory');
  const kind = stats.isFIFO()
    ? 'a FIFO'
    : stats.isCharacterDevice()
      ? 'a character device'
      : stats.isBlockDevice()
        ? 'a block device'
        : stats.isSocket()
          ? 'a socket'
          : 'not a file';
  throw cannotRead(path, `${kind}, not a regular file`);
}

/** Reads to the end of the file, failing once it holds more than the limit (a file may grow after its size was taken). */
function readAtMost(fd: number, path: string, sizeHint: number): Buffer {
  let buffer = Buffer.allocUnsafe(Math.min(sizeHint, MAX_CONFIG_FILE_BYTES) + 1);
  let length = 0;
  for (;;) {
    if (length === buffer.length) {
      if (length > MAX_CONFIG_FILE_BYTES) throw tooLarge(path);
      const larger = Buffer.allocUnsafe(Math.min(length * 2, MAX_CONFIG_FILE_BYTES + 1));
      buffer.copy(larger, 0, 0, length);
      buffer = larger;
    }
    let count: number;
    try {
      count = readSync(fd, buffer, length, buffer.length - length, null);
    } catch (error) {
      throw cannotRead(path, describeSystemError(error));
    }
    if (count === 0) return buffer.subarray(0, length);
    length += count;
  }
}

function cannotRead(path: string, reason: string): FrameworkError {
  return new FrameworkError(`Cannot read config file ${path}: ${reason}.`);
}

function tooLarge(path: string): FrameworkError {
  return cannotRead(path, `larger than ${MAX_CONFIG_FILE_BYTES / 1024 / 1024} MiB, the most a config file may hold`);
}

/** The error for the first byte that is not UTF-8, with its line and column (line ends as in the INI dialect). */
function invalidUtf8(path: string, bytes: Buffer): FrameworkError {
  const offset = firstInvalidByte(bytes);
  let line = 1;
  let lineStart = 0;
  for (let index = 0; index < offset; index++) {
    const byte = bytes[index];
    if (byte === 10 || (byte === 13 && bytes[index + 1] !== 10)) {
      line++;
      lineStart = index + 1;
    }
  }
  const before = bytes
    .subarray(lineStart, offset)
    .toString('utf8')
    .replace(/^\ufeff/, '');
  const at =
    offset < bytes.length
      ? ` at column ${[...before].length + 1} (byte 0x${bytes[offset].toString(16).padStart(2, '0')})`
      : '';
  return new FrameworkError(`Malformed config file ${path}, line ${line}: invalid UTF-8${at}; save the file as UTF-8.`);
}

/** The offset of the first byte that does not start or continue a well-formed UTF-8 sequence. */
function firstInvalidByte(bytes: Buffer): number {
  for (let index = 0; index < bytes.length;) {
    const lead = bytes[index];
    if (lead < 0x80) {
      index++;
      continue;
    }
    const extra =
      lead >= 0xc2 && lead <= 0xdf ? 1 : lead >= 0xe0 && lead <= 0xef ? 2 : lead >= 0xf0 && lead <= 0xf4 ? 3 : 0;
    if (extra === 0) return index;
    // The second byte's range excludes overlong forms, surrogates and code points above U+10FFFF.
    const low = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
    const high = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
    if (index + 1 >= bytes.length || bytes[index + 1] < low || bytes[index + 1] > high) return index;
    for (let next = 2; next <= extra; next++) {
      if (index + next >= bytes.length || (bytes[index + next] & 0xc0) !== 0x80) return index;
    }
    index += extra + 1;
  }
  return bytes.length;
}
