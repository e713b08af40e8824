// The smoke test after a deploy, without a host: how an answer is judged,
// and how the deploy's notice shows the checks on Discord.
import { describe, expect, it } from 'vitest';
import { judgeSmoke } from '../../src/activities/host/smoke.ts';
import { noticeEmbed, type DeployNotice } from '../../src/activities/notify/discord.ts';
import { describeSmoke } from '../../src/workflows/deploy-report.ts';
import type { SmokeTestCheck } from '../../src/workflows/types.ts';

const PAGE: SmokeTestCheck = { name: 'frontend page', port: 80, path: '/', expectStatus: 200, expectText: '<title>Smart Smoker</title>' };
const API: SmokeTestCheck = { name: 'api through frontend', port: 80, path: '/api/ready', expectStatus: 200 };
const APP_HTML = '<!doctype html><html><head><title>Smart Smoker</title></head><body><div id="root"></div></body></html>';
const NGINX_502 = '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

describe('judgeSmoke', () => {
  it('passes the app page: the status expected and the text found', () => {
    expect(judgeSmoke(PAGE, { status: 200, contentType: 'text/html; charset=utf-8', body: APP_HTML })).toEqual({
      name: 'frontend page',
      passed: true,
      detail: 'GET :80/ answered 200 (text/html), "<title>Smart Smoker</title>" found',
    });
  });

  it('fails an nginx error page that answers 200 (a default site, not the app): the text is missing', () => {
    const result = judgeSmoke(PAGE, { status: 200, contentType: 'text/html', body: '<html><head><title>Welcome to nginx!</title></head></html>' });
    expect(result.passed).toBe(false);
    expect(result.detail).toBe('GET :80/ answered 200 (text/html) without "<title>Smart Smoker</title>": <html><head><title>Welcome to nginx!</title></head></html>');
  });

  it('fails the API behind a proxy whose backend is down: the status, and the start of the page on one line', () => {
    const result = judgeSmoke(API, { status: 502, contentType: 'text/html', body: NGINX_502 });
    expect(result).toMatchObject({ name: 'api through frontend', passed: false });
    expect(result.detail).toBe('GET :80/api/ready answered 502 (text/html), not 200: <html> <head><title>502 Bad Gateway</title></head> <body> <center><h1>502 Bad Gateway</h1></center> <hr><center>nginx</center> </body> </html>');
  });

  it('fails when nothing answers, saying why; a long body is cut', () => {
    expect(judgeSmoke(API, new Error('(SSH) Channel open failure: Connection refused'))).toEqual({
      name: 'api through frontend',
      passed: false,
      detail: 'GET :80/api/ready got no answer: (SSH) Channel open failure: Connection refused',
    });
    const long = judgeSmoke(API, { status: 500, contentType: '', body: 'x'.repeat(1000) });
    expect(long.detail).toBe(`GET :80/api/ready answered 500, not 200: ${'x'.repeat(159)}…`);
    expect(judgeSmoke(API, { status: 503, contentType: '', body: '' }).detail).toBe('GET :80/api/ready answered 503, not 200: (empty body)');
  });

  it('takes another expected status as written (a redirect to the login page, say)', () => {
    expect(judgeSmoke({ ...API, expectStatus: 302 }, { status: 302, contentType: '', body: '' }).passed).toBe(true);
    expect(judgeSmoke({ ...API, expectStatus: 302 }, { status: 200, contentType: '', body: '{}' }).passed).toBe(false);
  });
});

describe('the smoke test in the deploy step and the notice', () => {
  const passed = [
    { name: 'frontend page', passed: true, detail: 'GET :80/ answered 200 (text/html), "<title>Smart Smoker</title>" found' },
    { name: 'api through frontend', passed: true, detail: 'GET :80/api/ready answered 200 (application/json)' },
  ];
  const failed = [passed[0]!, { name: 'api through frontend', passed: false, detail: 'GET :80/api/ready answered 502 (text/html), not 200: 502 Bad Gateway' }];
  const base: DeployNotice = { kind: 'succeeded', environment: 'dev-cloud', version: 'v2', runUrl: 'http://temporal.local/x' };
  const smokeField = (n: DeployNotice) => noticeEmbed(n).fields?.find((f) => f.name === 'Smoke test');

  it('the step says how many passed, and names each failed check with what it got', () => {
    expect(describeSmoke(passed)).toBe('2 of 2 passed');
    expect(describeSmoke(failed)).toBe('1 of 2 FAILED (the deploy stands): api through frontend (GET :80/api/ready answered 502 (text/html), not 200: 502 Bad Gateway)');
  });

  it('a deploy whose checks passed reads as before, with a line per check', () => {
    const e = noticeEmbed({ ...base, smoke: passed });
    expect(e.title).toBe('✅ dev-cloud: v2 deployed');
    expect(e.color).toBe(0x2ecc71);
    expect(smokeField({ ...base, smoke: passed })?.value).toBe(
      '✅ frontend page: GET :80/ answered 200 (text/html), "<title>Smart Smoker</title>" found\n✅ api through frontend: GET :80/api/ready answered 200 (application/json)',
    );
  });

  it('a failed check is a warning on a deploy that stands: its title says so, in yellow, and the check is named', () => {
    const e = noticeEmbed({ ...base, smoke: failed });
    expect(e.title).toBe('⚠️ dev-cloud: v2 deployed, smoke test FAILED');
    expect(e.description).toContain('nothing was rolled back');
    expect(e.color).toBe(0xf1c40f);
    expect(smokeField({ ...base, smoke: failed })?.value).toContain('⚠️ api through frontend: GET :80/api/ready answered 502');
  });

  it('a notice without a smoke test has no such field', () => {
    expect(smokeField(base)).toBeUndefined();
  });
});
