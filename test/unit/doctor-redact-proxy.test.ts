import { describe, expect, it } from 'vitest';
import { describeProxy, noProxyMatch, readProxySettings, routeFor } from '../../src/doctor/proxy.js';
import { createRedactor, REDACTED, urlCredentialSecrets } from '../../src/redact.js';

describe('createRedactor', () => {
  it('strips URL credentials, replaces known secrets raw and percent-decoded, and shows the home directory as ~', () => {
    const redact = createRedactor({ secrets: ['tok-12345', 'p%40ss-word'], home: '/home/ada' });
    const out = redact('GET http://alice:hunter2@h/x with tok-12345 and p@ss-word and p%40ss-word from /home/ada/.config/x and /home/ada');
    expect(out).not.toMatch(/hunter2|alice|tok-12345|p@ss-word|p%40ss-word|\/home\/ada/);
    expect(out).toContain(REDACTED);
    expect(out).toContain('~/.config/x');
    expect(out).toMatch(/and ~$/);
  });

  it('leaves a path that only starts like the home directory alone', () => {
    const redact = createRedactor({ home: '/home/ada' });
    expect(redact('/home/adam/file and /home/ada.bak')).toBe('/home/adam/file and /home/ada.bak');
  });

  it('accepts several spellings of home, and ignores "/" as home', () => {
    expect(createRedactor({ home: ['/home/ada', '/data/users/ada'] })('/data/users/ada/x')).toBe('~/x');
    expect(createRedactor({ home: '/' })('/etc/x')).toBe('/etc/x');
  });

  it('does not garble text with very short secrets', () => {
    expect(createRedactor({ secrets: ['a'] })('a banana')).toBe('a banana');
  });

  it('urlCredentialSecrets finds a URL password (and its Basic credentials), even in a string that is not a valid URL', () => {
    expect(urlCredentialSecrets('http://u:p%21ss@h:1')).toEqual(
      expect.arrayContaining(['p%21ss', 'p!ss', Buffer.from('u:p!ss').toString('base64')]),
    );
    expect(urlCredentialSecrets('http://h:1')).toEqual([]);
    expect(urlCredentialSecrets('http://u:s3cret@bad host')).toContain('s3cret');
    expect(urlCredentialSecrets(undefined)).toEqual([]);
  });
});

describe('proxy settings, read as undici reads them', () => {
  it('the lower-case variable wins, even when empty; https falls back to the http proxy', () => {
    expect(readProxySettings({ http_proxy: 'http://a:1', HTTP_PROXY: 'http://b:1' }).http).toBe('http://a:1');
    expect(readProxySettings({ http_proxy: '', HTTP_PROXY: 'http://b:1' }).http).toBeNull();
    expect(readProxySettings({ HTTP_PROXY: 'http://b:1' }).https).toBe('http://b:1');
    expect(readProxySettings({}).set).toEqual([]);
  });

  it.each([
    ['127.0.0.1', 'http://127.0.0.1:8080/', '127.0.0.1'],
    ['localhost,127.0.0.1', 'http://127.0.0.1:8080/', '127.0.0.1'],
    ['.example.com', 'https://ops.example.com/', '.example.com'],
    ['*.example.com', 'https://a.b.example.com/', '*.example.com'],
    ['example.com', 'https://example.com/', 'example.com'],
    ['example.com:8443', 'https://example.com:8443/', 'example.com:8443'],
    ['*', 'https://anything/', '*'],
  ])('NO_PROXY=%s covers %s', (noProxy, url, entry) => {
    expect(noProxyMatch(new URL(url), noProxy)).toBe(entry);
  });

  it.each([
    ['example.com:8443', 'https://example.com/'],
    ['example.com', 'https://notexample.com/'],
    ['', 'https://example.com/'],
  ])('NO_PROXY=%s does not cover %s', (noProxy, url) => {
    expect(noProxyMatch(new URL(url), noProxy)).toBeNull();
  });

  it('routes a request through the proxy its scheme uses unless NO_PROXY covers the host', () => {
    const settings = readProxySettings({ HTTPS_PROXY: 'http://u:p@proxy:3128', NO_PROXY: 'internal' });
    expect(routeFor(new URL('https://ops.example.com'), settings)).toEqual({ via: 'proxy', proxy: 'http://u:p@proxy:3128' });
    expect(routeFor(new URL('https://internal'), settings)).toMatchObject({ via: 'direct', reason: 'no_proxy' });
    expect(routeFor(new URL('http://ops.example.com'), settings)).toEqual({ via: 'direct', reason: 'no-proxy-set' });
  });

  it('describes a proxy URL without its credentials', () => {
    expect(describeProxy('http://user:pw@proxy:3128')).toEqual({ text: 'http://proxy:3128', valid: true, hasCredentials: true });
    expect(describeProxy('not a url://u:pw@x')).toMatchObject({ valid: false, hasCredentials: true });
    expect(describeProxy('not a url://u:pw@x').text).not.toContain('pw');
  });
});
