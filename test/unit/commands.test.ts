// Every remote command smokestack runs, as the exact argv it builds, and the
// one quoting function that turns argv into a shell line. Builders are
// compared as argv arrays: a joined string would hide where one argument
// ends and the next begins.
import { describe, expect, it } from 'vitest';
import { quote, quoteArg, remoteLine, describe as describeCommand } from '../../src/commands/command.ts';
import * as compose from '../../src/commands/compose.ts';
import * as docker from '../../src/commands/docker.ts';
import * as files from '../../src/commands/files.ts';
import * as mongo from '../../src/commands/mongo.ts';

describe('docker commands', () => {
  it('builds exact argv', () => {
    expect(docker.dockerVersion().argv).toEqual(['docker', 'version', '--format', '{{.Server.Version}}']);
    expect(docker.inspectContainers(['mongo', 'backend_cloud']).argv).toEqual([
      'docker', 'container', 'inspect', '--format', '{{json .}}', 'mongo', 'backend_cloud',
    ]);
    expect(docker.inspectImages(['mongo:7.0']).argv).toEqual(['docker', 'image', 'inspect', '--format', '{{json .}}', 'mongo:7.0']);
    expect(docker.pullImage('mongo@sha256:abc').argv).toEqual(['docker', 'pull', '--quiet', 'mongo@sha256:abc']);
    expect(docker.containerLogs('backend_cloud', 20).argv).toEqual(['docker', 'container', 'logs', '--tail', '20', 'backend_cloud']);
    expect(docker.containerHasProcess('electron_shell', 'smoker-shell').argv).toEqual([
      'docker', 'exec', 'electron_shell', 'pgrep', '-x', 'smoker-shell',
    ]);
    expect(docker.stackContainers('/opt/smart-smoker-dev').argv).toEqual([
      'docker', 'container', 'ls', '--all', '--quiet', '--filter', 'label=com.docker.compose.project.working_dir=/opt/smart-smoker-dev',
    ]);
    expect(docker.execScript('mongo', 'exec mongodump "$X"').argv).toEqual(['docker', 'exec', '-i', 'mongo', 'sh', '-c', 'exec mongodump "$X"']);
  });
});

describe('mongo commands', () => {
  it('dumps through the running server into a file on the host, credentials expanded in the container', () => {
    const c = mongo.dumpDatabase('mongo', '/opt/x/backups/pre-deploy/a b.archive.gz.partial');
    expect(c.argv.slice(0, 6)).toEqual(['docker', 'exec', '-i', 'mongo', 'sh', '-c']);
    expect(c.argv[6]).toContain('mongodump --quiet --archive --gzip --config "$f"');
    expect(c.argv[6]).not.toContain('--password');
    expect(c.stdoutFile).toBe('/opt/x/backups/pre-deploy/a b.archive.gz.partial');
    expect(c.stdin).toBeUndefined();
    expect(c.mergeStderr).toBeUndefined();
  });
});

describe('compose commands', () => {
  const v2: compose.ComposeProject = { flavor: 'v2', dir: '/opt/smart-smoker-dev', files: ['/opt/smart-smoker-dev/cloud.yml', '/opt/smart-smoker-dev/pins.yml'] };
  const v1: compose.ComposeProject = { ...v2, flavor: 'v1' };
  const flags = ['--project-directory', '/opt/smart-smoker-dev', '--file', '/opt/smart-smoker-dev/cloud.yml', '--file', '/opt/smart-smoker-dev/pins.yml'];

  it('detects the flavor', () => {
    expect(compose.composeV2Version().argv).toEqual(['docker', 'compose', 'version', '--short']);
    expect(compose.composeV1Version().argv).toEqual(['docker-compose', 'version', '--short']);
  });

  it('builds v2 argv', () => {
    expect(compose.composeConfig(v2).argv).toEqual(['docker', 'compose', ...flags, 'config', '--format', 'json']);
    expect(compose.composePull(v2).argv).toEqual(['docker', 'compose', ...flags, 'pull', '--quiet']);
    expect(compose.composeUp(v2).argv).toEqual(['docker', 'compose', ...flags, 'up', '--detach', '--no-build']);
    expect(compose.composeUp(v2, ['watchtower']).argv).toEqual(['docker', 'compose', ...flags, 'up', '--detach', '--no-build', 'watchtower']);
    expect(compose.composeUp(v2, ['backend'], { removeOrphans: true }).argv).toEqual([
      'docker', 'compose', ...flags, 'up', '--detach', '--no-build', '--remove-orphans', 'backend',
    ]);
    expect(compose.composeStop(v2, ['watchtower']).argv).toEqual(['docker', 'compose', ...flags, 'stop', 'watchtower']);
  });

  it('builds v1 argv', () => {
    expect(compose.composeConfig(v1).argv).toEqual(['docker-compose', ...flags, 'config']);
    expect(compose.composePull(v1, ['backend']).argv).toEqual(['docker-compose', ...flags, 'pull', '--quiet', 'backend']);
    expect(compose.composeUp(v1).argv).toEqual(['docker-compose', ...flags, 'up', '--detach', '--no-build']);
  });
});

describe('file commands', () => {
  it('writes files atomically with a mode, content on stdin', () => {
    const c = files.writeFile('/opt/x/.env', 'A=1\n', '0600');
    expect(c.argv).toEqual([
      'sh',
      '-c',
      'umask 077 && rm -f -- "$2.smokestack-tmp" && cat > "$2.smokestack-tmp" && chmod "$1" "$2.smokestack-tmp" && mv -f -- "$2.smokestack-tmp" "$2"',
      'sh',
      '0600',
      '/opt/x/.env',
    ]);
    expect(c.stdin).toBe('A=1\n');
    expect(describeCommand(c)).not.toContain('A=1');
  });

  it('builds exact argv', () => {
    expect(files.removeTree('/opt/x/.smokestack/old').argv).toEqual(['rm', '-rf', '--', '/opt/x/.smokestack/old']);
    expect(files.freeDiskKb('/opt/x').argv).toEqual(['df', '-Pk', '/opt/x']);
    expect(files.httpStatus('http://127.0.0.1:3001/api/ready').argv).toEqual([
      'curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '5', 'http://127.0.0.1:3001/api/ready',
    ]);
    expect(files.tailscaleStatus().argv).toEqual(['tailscale', 'status']);
    expect(files.listFiles('/opt/x').argv).toEqual(['ls', '-1A', '--', '/opt/x']);
    expect(files.checksum('/b/x.gz').argv).toEqual(['sha256sum', '--', '/b/x.gz']);
    expect(files.fileSize('/b/x.gz').argv).toEqual(['stat', '-c', '%s', '--', '/b/x.gz']);
    expect(files.readVersionSetting('/opt/x/.env').argv).toEqual(['sed', '-n', 's/^VERSION=//p', '/opt/x/.env']);
  });

  it('writes every file 0600 unless told otherwise', () => {
    expect(files.writeFile('/opt/x/cloud.yml', 'services: {}\n').argv.slice(3)).toEqual(['sh', '0600', '/opt/x/cloud.yml']);
    expect(files.writeFile('/opt/x/init.sh', '#!/bin/sh\n', files.MODES.readable.file).argv.slice(3)).toEqual(['sh', '0644', '/opt/x/init.sh']);
    expect(files.MODES).toEqual({ private: { file: '0600', dir: '0700' }, readable: { file: '0644', dir: '0755' } });
  });

  it('makes directories 0700: a deploy directory if missing, smokestack\'s own closing what an older one left open', () => {
    // An existing deploy directory may be upstream's: created 0700, never changed.
    expect(files.makeDir('/opt/a b').argv).toEqual(['mkdir', '-p', '-m', '0700', '--', '/opt/a b']);
    expect(files.makeDir('-x').argv).toEqual(['mkdir', '-p', '-m', '0700', '--', '-x']);
    expect(files.makePrivateDir('/opt/x/backups/scheduled', '/opt/x/backups').argv).toEqual([
      'sh', '-c', 'mkdir -p -m 700 -- "$1" && chmod -R go= -- "$2"', 'sh', '/opt/x/backups/scheduled', '/opt/x/backups',
    ]);
    expect(files.makePrivateDir('/opt/x/.smokestack').argv.slice(4)).toEqual(['/opt/x/.smokestack', '/opt/x/.smokestack']);
    expect(files.makeDirWithMode('/opt/x/infra/mongodb-init', '0755').argv).toEqual([
      'sh', '-c', 'mkdir -p -m "$1" -- "$2" && chmod "$1" -- "$2"', 'sh', '0755', '/opt/x/infra/mongodb-init',
    ]);
    expect(files.setMode('/opt/x/infra/empty', '0600').argv).toEqual(['chmod', '0600', '--', '/opt/x/infra/empty']);
  });

  it('copies rollback files as 0600, whatever mode the source had, keeping their times', () => {
    expect(files.copyInto('/opt/x/.smokestack/rollback/r1', ['/opt/x/a.yml', '/opt/x/.env']).argv).toEqual([
      'install', '-p', '-m', '0600', '--', '/opt/x/a.yml', '/opt/x/.env', '/opt/x/.smokestack/rollback/r1',
    ]);
  });

  it('removes and renames one file, a leading "-" never read as an option', () => {
    expect(files.removeFile('/b/x.gz.partial').argv).toEqual(['rm', '-f', '--', '/b/x.gz.partial']);
    expect(files.removeFile('-rf').argv).toEqual(['rm', '-f', '--', '-rf']);
    expect(files.moveFile('/b/x.gz.partial', '/b/x.gz').argv).toEqual(['mv', '-f', '--', '/b/x.gz.partial', '/b/x.gz']);
    expect(files.moveFile('-a', '-b').argv).toEqual(['mv', '-f', '--', '-a', '-b']);
  });
});

describe('the line the executor sends', () => {
  it('is umask 077, then the quoted command: whatever a command creates on a host is private, redirects included', () => {
    expect(remoteLine({ argv: ['docker', 'logs', 'a b'] })).toBe("umask 077 && docker logs 'a b'");
    expect(remoteLine(mongo.dumpDatabase('mongo', '/b/x y.partial'))).toBe(`umask 077 && ${quote(mongo.dumpDatabase('mongo', '/b/x y.partial'))}`);
    expect(remoteLine(docker.containerLogs('backend_cloud', 20))).toBe('umask 077 && docker container logs --tail 20 backend_cloud 2>&1');
    expect(remoteLine({ argv: ['mongorestore'], stdinFile: '/b/x.gz' })).toBe('umask 077 && mongorestore < /b/x.gz');
    // Logs show the command itself, not the umask every command gets.
    expect(describeCommand({ argv: ['docker', 'logs', 'a b'] })).toBe("docker logs 'a b'");
  });

  it('keeps each argument one word: an argument cannot end the umask command or start another', () => {
    expect(remoteLine({ argv: ['echo', '; umask 000; touch /tmp/x'] })).toBe("umask 077 && echo '; umask 000; touch /tmp/x'");
  });
});

describe('quoting', () => {
  it('leaves plain words alone and quotes everything else as one word', () => {
    expect(quoteArg('backend_cloud')).toBe('backend_cloud');
    expect(quoteArg('')).toBe("''");
    expect(quoteArg('v1;touch /pwned')).toBe("'v1;touch /pwned'");
    expect(quoteArg("it's")).toBe("'it'\\''s'");
    expect(quoteArg('$(reboot)')).toBe("'$(reboot)'");
  });

  it('quotes a whole command, with stdout redirected to a quoted path', () => {
    expect(quote({ argv: ['docker', 'logs', 'a b'] })).toBe("docker logs 'a b'");
    expect(quote({ argv: ['mongodump', '--archive'], stdoutFile: '/backups/x y.gz' })).toBe("mongodump --archive > '/backups/x y.gz'");
    expect(quote(docker.containerLogs('backend_cloud', 20))).toBe('docker container logs --tail 20 backend_cloud 2>&1');
    expect(quote(mongo.dumpDatabase('mongo', '/b/x y.partial'))).toMatch(/^docker exec -i mongo sh -c 'umask 077\n[\s\S]*' > '\/b\/x y.partial'$/);
  });
});
