// Signatures made and checked by OpenSSH's ssh-keygen (src/signatures), and
// the worker's check of a signed answer against the approvers' keys in its
// configuration (src/activities/approval/signatures.ts checkSignature).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkSignature } from '../../src/signatures/check.ts';
import type { Config } from '../../src/config/schema.ts';
import { approversOf, parseAllowedSigners } from '../../src/signatures/approvers.ts';
import { publicKeyBody } from '../../src/signatures/public-key.ts';
import { fingerprintOf, signText, verifyText } from '../../src/signatures/ssh-keygen.ts';
import { statementText, type AnswerStatement } from '../../src/workflows/signed-statement.ts';
import { answerStatement } from '../support/statements.ts';

const dir = mkdtempSync(join(tmpdir(), 'smokestack-sig-test-'));
const key = (name: string) => join(dir, name);
const pub = (name: string) => readFileSync(`${key(name)}.pub`, 'utf8').trim();

beforeAll(() => {
  for (const name of ['bob', 'carol', 'mallory']) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${name}@test`, '-f', key(name)]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ecdsa', '-N', '', '-C', 'dana@test', '-f', key('dana')]);
});

const statement = answerStatement();

describe('ssh-keygen signatures', () => {
  it('a signature verifies with its own key, and names the key by fingerprint', async () => {
    const text = statementText(statement);
    const signature = await signText(text, key('bob'));
    const verdict = await verifyText(text, signature, [pub('bob')]);
    expect(verdict).toEqual({ ok: true, fingerprint: await fingerprintOf(pub('bob')) });
    expect(await verifyText(text, await signText(text, key('dana')), [pub('dana')])).toMatchObject({ ok: true });
  });

  it('refuses another key, another text, and a signature for another namespace', async () => {
    const text = statementText(statement);
    const signature = await signText(text, key('bob'));
    expect(await verifyText(text, signature, [pub('carol')])).toMatchObject({ ok: false });
    expect(await verifyText(text.replace('"approve"', '"reject"'), signature, [pub('bob')])).toMatchObject({ ok: false });
    const git = execFileSync('ssh-keygen', ['-q', '-Y', 'sign', '-f', key('bob'), '-n', 'git'], { input: text }).toString();
    expect(await verifyText(text, git, [pub('bob')])).toMatchObject({ ok: false });
    expect(await verifyText(text, signature, [])).toEqual({ ok: false, why: 'no public key is configured for this signer' });
  });
});

describe('public keys and allowed signers', () => {
  it('takes a key line without its comment, and nothing smuggled after a line break', () => {
    expect(publicKeyBody(pub('bob'))).toBe(pub('bob').split(' ').slice(0, 2).join(' '));
    expect(publicKeyBody(`${pub('bob')}\nmallory ${pub('mallory')}`)).toBeUndefined();
    expect(publicKeyBody('cert-authority ssh-ed25519 AAAA')).toBeUndefined();
  });

  it('reads principals, skips patterns, comments and lines for other namespaces', () => {
    const body = (n: string) => publicKeyBody(pub(n))!;
    const keys = parseAllowedSigners(
      [
        '# the approvers',
        `bob,Carol ${body('bob')} bob@laptop`,
        `carol namespaces="git,smokestack-approval" ${body('carol')}`,
        `carol namespaces="git" ${body('mallory')}`,
        `*@example.com ${body('mallory')}`,
        '',
      ].join('\n'),
    );
    expect(keys.get('bob')).toEqual([body('bob')]);
    expect(keys.get('carol')).toEqual([body('bob'), body('carol')]);
    expect([...keys.keys()]).toEqual(['bob', 'carol']);
  });
});

describe('checkSignature (the worker\'s check)', () => {
  const allowed = join(dir, 'allowed_signers');
  const config = () => {
    writeFileSync(allowed, `carol ${pub('carol')}\n`);
    return { promotion: { approvers: [{ name: 'Bob', key: pub('bob') }, 'carol', 'erin'], allowedSignersFile: allowed } } as unknown as Config;
  };
  const signedBy = async (name: string, edit: Partial<AnswerStatement> = {}) => {
    const text = statementText({ ...statement, ...edit });
    return { statement: text, signature: await signText(text, key(name)) };
  };

  it('accepts an approver\'s own key, inline or from the allowed signers file, naming them as the configuration does', async () => {
    expect(await checkSignature(config(), await signedBy('bob', { signer: 'BOB' }))).toMatchObject({ ok: true, signer: 'Bob', fingerprint: await fingerprintOf(pub('bob')) });
    expect(await checkSignature(config(), await signedBy('carol', { signer: 'carol' }))).toMatchObject({ ok: true, signer: 'carol' });
    expect(approversOf(config().promotion!).map((a) => [a.name, a.keys.length])).toEqual([['Bob', 1], ['carol', 1], ['erin', 0]]);
  });

  it('refuses a key that is not the signer\'s, a signer who is no approver, and an approver without a key', async () => {
    expect(await checkSignature(config(), await signedBy('mallory', { signer: 'bob' }))).toMatchObject({ ok: false, why: expect.stringMatching(/^not signed by Bob/) });
    // One approver cannot answer in another's name.
    expect(await checkSignature(config(), await signedBy('carol', { signer: 'bob' }))).toMatchObject({ ok: false, why: expect.stringMatching(/^not signed by Bob/) });
    expect(await checkSignature(config(), await signedBy('mallory', { signer: 'mallory' }))).toMatchObject({ ok: false, why: expect.stringMatching(/^mallory is not an approver/) });
    expect(await checkSignature(config(), await signedBy('mallory', { signer: 'erin' }))).toEqual({ ok: false, why: 'erin has no key in the configuration: add it to promotion.approvers or the allowed signers file' });
  });

  it('refuses anything that is not a signed statement, without throwing', async () => {
    for (const given of [null, 42, 'x', [], { by: 'bob', reason: 'x' }, { statement: 'x', signature: 'y' }]) {
      expect(await checkSignature(config(), given)).toMatchObject({ ok: false });
    }
  });
});
