// Pure builders for the file operations of a deploy.
import { cmd, type Command } from './command.ts';

// Nothing smokestack writes on a host is for others to read: a dump holds
// every database, users' password hashes included; .env and rollback points
// hold secrets. Files are 0600 and directories 0700, set explicitly here and
// by the executor's `umask 077` (command.ts: remoteLine) for whatever a
// command creates on its own. The one exception is a file containers read as
// a user of their own (readableExtraFiles): 0644, in 0755 directories.

/** The modes of what smokestack writes: its owner's alone, or readable by every user (containers' own users included). */
export const MODES = {
  private: { file: '0600', dir: '0700' },
  readable: { file: '0644', dir: '0755' },
} as const;

export type Access = keyof typeof MODES;

/**
 * A deploy directory: created 0700 with any missing parent. One that is
 * there already keeps its mode: it may be upstream's, and what smokestack
 * writes into it has modes of its own.
 */
export const makeDir = (path: string): Command => cmd('mkdir', '-p', '-m', MODES.private.dir, '--', path);

// $1 the mode, $2 the directory: created with it, or set to it if it was there.
const DIR_WITH_MODE = 'mkdir -p -m "$1" -- "$2" && chmod "$1" -- "$2"';

/** A directory with exactly this mode, whether it was there or not (an uploaded folder's). */
export const makeDirWithMode = (path: string, mode: string): Command => ({ argv: ['sh', '-c', DIR_WITH_MODE, 'sh', mode, path] });

// $1 the directory, $2 the smokestack folder it is in (or itself).
const PRIVATE_DIR = 'mkdir -p -m 700 -- "$1" && chmod -R go= -- "$2"';

/**
 * One of smokestack's own directories (backups, rollback points, transfers):
 * created 0700, missing parents too, and group and others' access taken
 * from `top` (the directory, or the smokestack folder holding it) and all
 * it holds: a dump or a folder an older smokestack left readable by all is
 * closed as well. Runs under the environment's lock: nothing else renames
 * files there meanwhile.
 */
export const makePrivateDir = (dir: string, top: string = dir): Command => ({ argv: ['sh', '-c', PRIVATE_DIR, 'sh', dir, top] });

// Written to a private temporary file and renamed over the target: a secret
// is never readable by others, not even for a moment, and readers never see
// half a file. The script is constant; the path and mode travel as $1 and $2.
const ATOMIC_WRITE = 'umask 077 && rm -f -- "$2.smokestack-tmp" && cat > "$2.smokestack-tmp" && chmod "$1" "$2.smokestack-tmp" && mv -f -- "$2.smokestack-tmp" "$2"';

/** Writes content (sent on stdin) to a file with the given mode: 0600 unless containers must read it. */
export const writeFile = (path: string, content: string, mode: string = MODES.private.file): Command => ({
  argv: ['sh', '-c', ATOMIC_WRITE, 'sh', mode, path],
  stdin: content,
});

/** Sets a file's mode (an empty file an SFTP upload created, which ssh2 leaves as the server made it). */
export const setMode = (path: string, mode: string): Command => cmd('chmod', mode, '--', path);

export const removeTree = (path: string): Command => cmd('rm', '-rf', '--', path);

/** Removes one file; a file already gone is not an error. */
export const removeFile = (path: string): Command => cmd('rm', '-f', '--', path);

/** Renames a file over its target: on one filesystem, readers see the old file or the new, never half of one. */
export const moveFile = (from: string, to: string): Command => cmd('mv', '-f', '--', from, to);

export const freeDiskKb = (path: string): Command => cmd('df', '-Pk', path);

export const httpStatus = (url: string, timeoutSeconds = 5): Command =>
  cmd('curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', String(timeoutSeconds), url);

export const tailscaleStatus = (): Command => cmd('tailscale', 'status');

/**
 * Copies files into a directory as 0600, keeping their times: a copy an
 * older smokestack wrote readable by all is private when it is copied back.
 * Missing sources are skipped by the caller.
 */
export const copyInto = (dir: string, paths: readonly string[]): Command => cmd('install', '-p', '-m', MODES.private.file, '--', ...paths, dir);

export const listFiles = (dir: string): Command => cmd('ls', '-1A', '--', dir);

/**
 * A directory's entries, each as `TYPE MTIME NAME` ended by a NUL
 * (activities/host/names.ts parseEntries reads it): a name with a newline
 * stays one name, and a symbolic link says it is one (type l), never what
 * it points to. Not ls: its lines split such a name in two.
 */
export const listEntries = (dir: string): Command => cmd('find', dir, '-mindepth', '1', '-maxdepth', '1', '-printf', '%y %T@ %f\\0');

export const checksum = (path: string): Command => cmd('sha256sum', '--', path);

export const fileSize = (path: string): Command => cmd('stat', '-c', '%s', '--', path);

/** The VERSION line of a stack's .env, without reading anything else from it. */
export const readVersionSetting = (envFile: string): Command => cmd('sed', '-n', 's/^VERSION=//p', envFile);

// $1 the path, $2 how many bytes at most. A symbolic link, anything but a
// regular file (a FIFO would block, /dev/zero never ends) and a larger file
// are refused, and head stops at $2 whatever the file became since.
const READ_REGULAR = [
  'if [ -L "$1" ]; then echo "a symbolic link" >&2; exit 3; fi',
  'if [ ! -f "$1" ]; then echo "not a regular file" >&2; exit 3; fi',
  'size=$(stat -c %s -- "$1") || exit 3',
  'if [ "$size" -gt "$2" ]; then echo "$size bytes, more than $2" >&2; exit 3; fi',
  'exec head -c "$2" -- "$1"',
].join('; ');

/**
 * A small file a host holds (a manifest): at most `maxBytes` of it, and
 * only if it is a regular file, not a link to one. Exit 3 and why on
 * stderr when it is refused.
 */
export const readRegularFile = (path: string, maxBytes: number): Command => ({ argv: ['sh', '-c', READ_REGULAR, 'sh', path, String(maxBytes)] });
