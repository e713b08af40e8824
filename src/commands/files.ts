// Pure builders for the file operations of a deploy.
import { cmd, type Command } from './command.ts';

export const makeDir = (path: string): Command => cmd('mkdir', '-p', path);

// Written to a private temporary file and renamed over the target: a secret
// is never readable by others, not even for a moment, and readers never see
// half a file. The script is constant; the path and mode travel as $1 and $2.
const ATOMIC_WRITE = 'umask 077 && rm -f -- "$2.smokestack-tmp" && cat > "$2.smokestack-tmp" && chmod "$1" "$2.smokestack-tmp" && mv -f -- "$2.smokestack-tmp" "$2"';

/** Writes content (sent on stdin) to a file with the given mode: 0600 for secrets. */
export const writeFile = (path: string, content: string, mode = '0644'): Command => ({
  argv: ['sh', '-c', ATOMIC_WRITE, 'sh', mode, path],
  stdin: content,
});

export const removeTree = (path: string): Command => cmd('rm', '-rf', '--', path);

/** Removes one file; a file already gone is not an error. */
export const removeFile = (path: string): Command => cmd('rm', '-f', '--', path);

/** Renames a file over its target: on one filesystem, readers see the old file or the new, never half of one. */
export const moveFile = (from: string, to: string): Command => cmd('mv', '-f', '--', from, to);

export const freeDiskKb = (path: string): Command => cmd('df', '-Pk', path);

export const httpStatus = (url: string, timeoutSeconds = 5): Command =>
  cmd('curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', String(timeoutSeconds), url);

export const tailscaleStatus = (): Command => cmd('tailscale', 'status');

/** Copies files into a directory, keeping modes (the 0600 .env stays 0600). Missing sources are skipped by the caller. */
export const copyInto = (dir: string, paths: readonly string[]): Command => cmd('cp', '-p', '--', ...paths, dir);

export const listFiles = (dir: string): Command => cmd('ls', '-1A', '--', dir);

/** A directory's entries, newest (by modification time) first. */
export const listNewestFirst = (dir: string): Command => cmd('ls', '-1At', '--', dir);

export const checksum = (path: string): Command => cmd('sha256sum', '--', path);

export const fileSize = (path: string): Command => cmd('stat', '-c', '%s', '--', path);

/** The VERSION line of a stack's .env, without reading anything else from it. */
export const readVersionSetting = (envFile: string): Command => cmd('sed', '-n', 's/^VERSION=//p', envFile);

export const readTextFile = (path: string): Command => cmd('cat', '--', path);
