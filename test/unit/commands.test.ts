// Every remote command smokestack runs, as the exact argv it builds, and the
// one quoting function that turns argv into a shell line.
import { describe, expect, it } from 'vitest';
import { quote, quoteArg, describe as describeCommand } from '../../src/commands/command.ts';
import * as compose from '../../src/commands/compose.ts';
import * as docker from '../../src/commands/docker.ts';
import * as files from '../../src/commands/files.ts';

const line = (c: { argv: readonly string[] }) => c.argv.join(' ');

describe('docker commands', () => {
  it('builds exact argv', () => {
    expect(line(docker.dockerVersion())).toBe('docker version --format {{.Server.Version}}');
    expect(line(docker.inspectContainers(['mongo', 'backend_cloud']))).toBe('docker container inspect --format {{json .}} mongo backend_cloud');
    expect(line(docker.listContainers())).toBe('docker container ls --all --format {{.Names}}');
    expect(line(docker.inspectImages(['mongo:7.0']))).toBe('docker image inspect --format {{json .}} mongo:7.0');
    expect(line(docker.pullImage('mongo@sha256:abc'))).toBe('docker pull --quiet mongo@sha256:abc');
    expect(line(docker.stopContainer('watchtower'))).toBe('docker container stop --time 10 watchtower');
    expect(line(docker.startContainer('watchtower'))).toBe('docker container start watchtower');
    expect(line(docker.containerLogs('backend_cloud', 20))).toBe('docker container logs --tail 20 backend_cloud');
    expect(line(docker.containerHasProcess('electron_shell', 'smoker-shell'))).toBe('docker exec electron_shell pgrep -x smoker-shell');
    expect(line(docker.stackContainers('/opt/smart-smoker-dev'))).toBe(
      'docker container ls --all --quiet --filter label=com.docker.compose.project.working_dir=/opt/smart-smoker-dev',
    );
    expect(docker.execScript('mongo', 'exec mongodump "$X"').argv).toEqual(['docker', 'exec', '-i', 'mongo', 'sh', '-c', 'exec mongodump "$X"']);
  });
});

describe('compose commands', () => {
  const v2: compose.ComposeProject = { flavor: 'v2', dir: '/opt/smart-smoker-dev', files: ['/opt/smart-smoker-dev/cloud.yml', '/opt/smart-smoker-dev/pins.yml'] };
  const v1: compose.ComposeProject = { ...v2, flavor: 'v1' };
  const flags = '--project-directory /opt/smart-smoker-dev --file /opt/smart-smoker-dev/cloud.yml --file /opt/smart-smoker-dev/pins.yml';

  it('detects the flavor', () => {
    expect(line(compose.composeV2Version())).toBe('docker compose version --short');
    expect(line(compose.composeV1Version())).toBe('docker-compose version --short');
  });

  it('builds v2 argv', () => {
    expect(line(compose.composeConfig(v2))).toBe(`docker compose ${flags} config --format json`);
    expect(line(compose.composePull(v2))).toBe(`docker compose ${flags} pull --quiet`);
    expect(line(compose.composeUp(v2))).toBe(`docker compose ${flags} up --detach --no-build`);
    expect(line(compose.composeUp(v2, ['watchtower']))).toBe(`docker compose ${flags} up --detach --no-build watchtower`);
    expect(line(compose.composePs(v2))).toBe(`docker compose ${flags} ps --all`);
    expect(line(compose.composeUp(v2, ['backend'], { removeOrphans: true }))).toBe(`docker compose ${flags} up --detach --no-build --remove-orphans backend`);
    expect(line(compose.composeStop(v2, ['watchtower']))).toBe(`docker compose ${flags} stop watchtower`);
  });

  it('builds v1 argv', () => {
    expect(line(compose.composeConfig(v1))).toBe(`docker-compose ${flags} config`);
    expect(line(compose.composePull(v1, ['backend']))).toBe(`docker-compose ${flags} pull --quiet backend`);
    expect(line(compose.composeUp(v1))).toBe(`docker-compose ${flags} up --detach --no-build`);
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
    expect(line(files.makeDir('/opt/a b'))).toBe('mkdir -p /opt/a b');
    expect(line(files.removeTree('/opt/x/.smokestack/old'))).toBe('rm -rf -- /opt/x/.smokestack/old');
    expect(line(files.freeDiskKb('/opt/x'))).toBe('df -Pk /opt/x');
    expect(line(files.httpStatus('http://127.0.0.1:3001/api/ready'))).toBe(
      'curl -sS -o /dev/null -w %{http_code} --max-time 5 http://127.0.0.1:3001/api/ready',
    );
    expect(line(files.tailscaleStatus())).toBe('tailscale status');
    expect(line(files.copyInto('/opt/x/.smokestack/rollback/r1', ['/opt/x/a.yml', '/opt/x/.env']))).toBe(
      'cp -p -- /opt/x/a.yml /opt/x/.env /opt/x/.smokestack/rollback/r1',
    );
    expect(line(files.listFiles('/opt/x'))).toBe('ls -1A -- /opt/x');
    expect(line(files.checksum('/b/x.gz'))).toBe('sha256sum -- /b/x.gz');
    expect(line(files.fileSize('/b/x.gz'))).toBe('stat -c %s -- /b/x.gz');
    expect(line(files.readVersionSetting('/opt/x/.env'))).toBe('sed -n s/^VERSION=//p /opt/x/.env');
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
  });
});
