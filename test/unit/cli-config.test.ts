// A configuration error is found by the CLI before it talks to Temporal or
// any host: every command that loads the file exits 2 (bad input) with the
// file and the field, however the file was chosen.
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/client/exit-codes.ts';
import { runCli, type CliRun } from '../support/cli.ts';
import { labConfigWith } from '../support/config.ts';

// Nothing listens here: a command that got past the configuration would exit 6 (unreachable), not 2.
const NO_TEMPORAL = { TEMPORAL_ADDRESS: '127.0.0.1:1' };

const quoteInSetting = labConfigWith((c) => (c.environments['dev-cloud'].env.GREETING = "it's"));
const SETTING_ERROR =
  `error: invalid configuration in ${quoteInSetting}:\n` +
  '  - environments.dev-cloud.env.GREETING: holds a single quote or a line break, which a .env file cannot hold exactly\n';

/** stderr from the first `error:` line on (the launcher may print a note before it). */
const errorOf = (run: CliRun): string => run.stderr.slice(Math.max(0, run.stderr.indexOf('error: ')));

describe('smokestack with an invalid configuration', () => {
  it('`config --config FILE` names the file and the setting, exit 2', async () => {
    const run = await runCli(['config', '--config', quoteInSetting], NO_TEMPORAL);
    expect(errorOf(run)).toBe(SETTING_ERROR);
    expect(run.code).toBe(EXIT.invalid);
    expect(run.stdout).toBe('');
  });

  it('`config` with $SMOKESTACK_CONFIG: the same', async () => {
    const run = await runCli(['config'], { ...NO_TEMPORAL, SMOKESTACK_CONFIG: quoteInSetting });
    expect(errorOf(run)).toBe(SETTING_ERROR);
    expect(run.code).toBe(EXIT.invalid);
  });

  it('a line break in a setting is refused the same way', async () => {
    const file = labConfigWith((c) => (c.environments['prod-cloud'].env.GREETING = 'two\nlines'));
    const run = await runCli(['config', '--config', file], NO_TEMPORAL);
    expect(errorOf(run)).toBe(
      `error: invalid configuration in ${file}:\n` +
        '  - environments.prod-cloud.env.GREETING: holds a single quote or a line break, which a .env file cannot hold exactly\n',
    );
    expect(run.code).toBe(EXIT.invalid);
  });

  it('a health URL that is not an http(s) URL with a host', async () => {
    const file = labConfigWith((c) => (c.environments.smoker.services.frontend.http = 'localhost:8080'));
    const run = await runCli(['config', '--config', file], NO_TEMPORAL);
    expect(errorOf(run)).toBe(
      `error: invalid configuration in ${file}:\n  - environments.smoker.services.frontend.http: must be an http:// or https:// URL with a host\n`,
    );
    expect(run.code).toBe(EXIT.invalid);
  });

  it.each([
    [['deploy', 'dev-cloud', '--version', 'v2', '--wait']],
    [['status', 'dev-cloud']],
    [['rollback', 'dev-cloud', '--wait']],
  ])('%j exits 2 with the same message, before reaching Temporal', async (args) => {
    const run = await runCli(['--config', quoteInSetting, ...args], NO_TEMPORAL);
    expect(errorOf(run)).toBe(SETTING_ERROR);
    expect(run.code).toBe(EXIT.invalid);
  });

  it('the same file without the bad setting is valid', async () => {
    const file = labConfigWith((c) => (c.environments['dev-cloud'].env.GREETING = 'its fine'));
    const run = await runCli(['config', '--config', file], NO_TEMPORAL);
    expect(run.code).toBe(EXIT.succeeded);
    expect(run.stdout.split('\n')[0]).toBe(`${file}: valid`);
  });
});
