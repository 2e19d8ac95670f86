import { describe, expect, it } from 'vitest';
import { checkCliVersion } from '../../src/server/index.js';

describe('checkCliVersion', () => {
  it('refuses a CLI below the minimum with 426 and the required version', () => {
    const r = checkCliVersion('0.8.3', '0.9.0');
    expect(r?.status).toBe(426);
    expect(r?.headers['x-required-cli-version']).toBe('0.9.0');
    expect(r?.body.error).toMatchObject({ code: 'cli_outdated', required_cli_version: '0.9.0', cli_version: '0.8.3' });
    expect(r?.body.error.remedy).toContain('0.9.0');
  });

  it('treats a prerelease of the minimum as older', () => {
    expect(checkCliVersion('0.9.0-beta.1', '0.9.0')?.status).toBe(426);
  });

  it('uses the overridden header name', () => {
    expect(checkCliVersion('0.1.0', '0.9.0', 'X-Observal-Min-CLI')?.headers['x-observal-min-cli']).toBe('0.9.0');
  });

  it.each([
    ['at the minimum', '0.9.0', '0.9.0'],
    ['above the minimum', '2.0.0', '0.9.0'],
    ['no header', undefined, '0.9.0'],
    ['a non-semver header', 'not-a-version', '0.9.0'],
    ['an empty header', '', '0.9.0'],
    ['no minimum configured', '0.0.1', null],
  ])('lets through %s', (_label, header, min) => {
    expect(checkCliVersion(header, min)).toBeNull();
  });

  it('reads the first value of a repeated header', () => {
    expect(checkCliVersion(['0.1.0', '9.9.9'], '0.9.0')?.status).toBe(426);
  });
});
