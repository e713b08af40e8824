// A remote command is data: an argv array, built by a pure function, and
// turned into a shell string only by quote() in the one SSH executor.

type Argv = readonly string[];

export interface Command {
  argv: Argv;
  /** Sent on the command's standard input (secrets travel here, never in argv). */
  stdin?: string;
  /** Standard output goes to this file on the host instead of back to us. */
  stdoutFile?: string;
  /** Standard input comes from this file on the host (an archive to restore). */
  stdinFile?: string;
  /** Standard error joins standard output, in order (container logs keep both streams). */
  mergeStderr?: boolean;
}

export const cmd = (...argv: string[]): Command => ({ argv });

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** POSIX shell quoting: every argument becomes exactly one word, whatever it holds. */
export function quoteArg(arg: string): string {
  if (arg !== '' && SAFE.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function quote(command: Command): string {
  const line = command.argv.map(quoteArg).join(' ');
  const fed = command.stdinFile ? `${line} < ${quoteArg(command.stdinFile)}` : line;
  const redirected = command.stdoutFile ? `${fed} > ${quoteArg(command.stdoutFile)}` : fed;
  return command.mergeStderr ? `${redirected} 2>&1` : redirected;
}

/**
 * The line the executor sends: `umask 077`, then the quoted command. Whatever
 * umask the login gave the session (a host's /etc/profile, PAM, ~/.bashrc),
 * a file any command creates on a host, by a redirect (a dump) or by the
 * tool itself (mkdir -p's parents, cp), is its owner's alone: a command
 * cannot forget it. A builder that wants another mode says so (chmod, mkdir -m).
 */
export function remoteLine(command: Command): string {
  return `${PRIVATE_UMASK} && ${quote(command)}`;
}

/** Files 0600, directories 0700, unless a command sets a mode of its own. */
export const PRIVATE_UMASK = 'umask 077';

/** How a command is shown in logs and progress: argv only, never stdin. */
export function describe(command: Command): string {
  return quote(command) + (command.stdin !== undefined ? ' <(stdin)' : '');
}
