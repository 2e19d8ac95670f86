// The one reader of user-controlled files (src/input): regular files only, capped, never blocking.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isHandshakeError } from '../../src/errors.js';
import { readRegularFile, readUserFile } from '../../src/input/index.js';

const dir = mkdtempSync(join(tmpdir(), 'handshake-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readRegularFile', () => {
  it('reads a regular file, also through a symbolic link', () => {
    writeFileSync(join(dir, 'a.json'), '{"a":1}');
    symlinkSync(join(dir, 'a.json'), join(dir, 'link.json'));
    expect(readRegularFile(join(dir, 'a.json'), 100)).toEqual({ ok: true, data: Buffer.from('{"a":1}') });
    expect(readRegularFile(join(dir, 'link.json'), 100)).toEqual({ ok: true, data: Buffer.from('{"a":1}') });
  });

  it('refuses a FIFO without waiting for a writer', () => {
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    expect(readRegularFile(join(dir, 'fifo'), 100)).toEqual({ ok: false, missing: false, why: 'it is a pipe, not a regular file' });
  });

  it('refuses /dev/zero, also behind a symbolic link, without reading it', () => {
    symlinkSync('/dev/zero', join(dir, 'zero'));
    for (const path of ['/dev/zero', join(dir, 'zero')]) {
      expect(readRegularFile(path, 100)).toEqual({ ok: false, missing: false, why: 'it is a device, not a regular file' });
    }
  });

  it('refuses a directory and a file over the cap; a missing file is missing', () => {
    mkdirSync(join(dir, 'd'));
    writeFileSync(join(dir, 'big'), Buffer.alloc(2048));
    expect(readRegularFile(join(dir, 'd'), 100)).toMatchObject({ ok: false, why: 'it is a directory' });
    expect(readRegularFile(join(dir, 'big'), 1024)).toEqual({ ok: false, missing: false, why: 'it is larger than 1 KiB' });
    expect(readRegularFile(join(dir, 'none'), 100)).toEqual({ ok: false, missing: true, why: 'no such file' });
  });

  it('readUserFile (-d @file) says a pipe goes through @- and stdin, as a usage error naming the file', () => {
    try {
      readUserFile(join(dir, 'fifo'), 'the request body file');
      expect.unreachable();
    } catch (err) {
      expect(isHandshakeError(err) && err.code).toBe('E_USAGE');
      expect((err as Error).message).toContain(join(dir, 'fifo'));
      expect((err as Error).message).toContain('use @- and stdin');
    }
  });
});
