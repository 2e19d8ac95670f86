import { describe, expect, it } from 'vitest';
import { readPython } from '../../src/matrix/sync/python.js';

function value(src: string, name: string) {
  const a = readPython(src).assignments.filter((x) => x.name === name);
  return a[a.length - 1]?.value;
}

describe('the Python reader: literal assignments as Alembic and Django write them', () => {
  it.each([
    ['revision = "ae1027a6acf"', 'ae1027a6acf'],
    ["revision = 'ae1027a6acf'", 'ae1027a6acf'],
    ['revision: str = "1caa45d85720"', '1caa45d85720'],
    ['revision = ("split" "_id")', 'split_id'],
    ['revision = "a"  # trailing comment', 'a'],
    ['revision = r"raw\\d"', 'raw\\d'],
    ['revision = "esc\\x41"', 'escA'],
  ])('%s', (src, expected) => {
    expect(value(src, 'revision')).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['down_revision = None', null],
    ['down_revision: Union[str, Sequence[str], None] = "017_teams"', '017_teams'],
    ['down_revision: str | Sequence[str] | None = "010_global_unique_names"', '010_global_unique_names'],
    ["down_revision = ('0ec979123ba4', 'd7d747033183')", ['0ec979123ba4', 'd7d747033183']],
    ['down_revision = ["a", "b",]', ['a', 'b']],
    ['down_revision = (\n    "a",\n    "b",\n)', ['a', 'b']],
    ['down_revision = ("a",)', ['a']],
    ['down_revision = "a", "b"', ['a', 'b']],
    ['down_revision = \\\n    "a"', 'a'],
  ])('%s', (src, expected) => {
    expect(value(src, 'down_revision')).toEqual({ ok: true, value: expected });
  });

  it('what is not a literal is reported with its line, not guessed', () => {
    const src = '"""doc"""\nimport os\n\nrevision = os.environ["REV"]\nother = f"{x}"\nthird = "a" + b\n';
    const mod = readPython(src);
    const rev = mod.assignments.find((a) => a.name === 'revision');
    expect(rev?.line).toBe(4);
    expect(rev?.value.ok).toBe(false);
    expect(mod.assignments.find((a) => a.name === 'other')?.value.ok).toBe(false);
    expect(mod.assignments.find((a) => a.name === 'third')?.value.ok).toBe(false);
  });

  it('an annotation without a value assigns nothing', () => {
    expect(value('revision: str\n', 'revision')?.ok).toBe(false);
  });

  it('text inside the docstring is not an assignment; the docstring is read', () => {
    const src = '"""Add soft deletion.\n\nrevision = "fake"\nRevision ID: 006\n"""\nrevision = "real"\n';
    const mod = readPython(src);
    expect(mod.docstring?.split('\n')[0]).toBe('Add soft deletion.');
    expect(mod.assignments.map((a) => a.name)).toEqual(['revision']);
    expect(value(src, 'revision')).toEqual({ ok: true, value: 'real' });
  });

  it('a docstring after comment lines (SPDX headers) is still the docstring', () => {
    expect(readPython('# SPDX-License-Identifier: Apache-2.0\n\n"""First line."""\nx = 1\n').docstring).toBe('First line.');
  });

  it('class-level assignments keep their column; calls are kept as non-literal entries', () => {
    const src = [
      'class Migration(migrations.Migration):',
      '    dependencies = [',
      "        ('auth', '0001_initial'),",
      '        migrations.swappable_dependency(settings.AUTH_USER_MODEL),',
      '    ]',
    ].join('\n');
    const dep = readPython(src).assignments.find((a) => a.name === 'dependencies');
    expect(dep?.column).toBe(4);
    expect(dep?.value).toEqual({ ok: true, value: [['auth', '0001_initial'], { expr: 'migrations.swappable_dependency(…)' }] });
  });

  it('an unterminated string is a syntax error with its line', () => {
    expect(() => readPython('x = 1\nrevision = "abc\n')).toThrow(expect.objectContaining({ line: 2 }));
    expect(() => readPython('"""never closed\n\n')).toThrow(/never closed/);
  });
});

describe('reading only the wanted names', () => {
  const src = [
    '"""Doc line."""',
    'revision = "a"',
    'def upgrade():',
    '    op.execute("""',
    'revision = "inside a string"',
    '""")',
    "    x = r'\\x'  # a raw string ending in a backslash-x",
    '    y = (1,',
    '         2)',
    'down_revision = "z"',
  ].join('\n');

  it('skipped lines still end where Python ends them: strings, brackets and raw strings', () => {
    const mod = readPython(src, new Set(['revision', 'down_revision']));
    expect(mod.docstring).toBe('Doc line.');
    expect(mod.assignments.map((a) => [a.name, a.value])).toEqual([
      ['revision', { ok: true, value: 'a' }],
      ['down_revision', { ok: true, value: 'z' }],
    ]);
    expect(readPython(src).assignments.map((a) => a.name)).toEqual(['revision', 'x', 'y', 'down_revision']);
  });
});

describe("reading an Alembic file's header only", () => {
  const header = (body: string) => `"""Doc."""\nrevision = "a"\ndown_revision = None\n\n\ndef upgrade():\n${body}`;

  it('stops at the first definition once both names are assigned: a broken body is not read', () => {
    const mod = readPython(header('    op.execute("""never closed\n'), new Set(['revision', 'down_revision']), { moduleHeaderOnly: true });
    expect(mod.assignments.map((a) => a.name)).toEqual(['revision', 'down_revision']);
    expect(() => readPython(header('    op.execute("""never closed\n'), new Set(['revision', 'down_revision']))).toThrow(/never closed/);
  });

  it('reads on past definitions while a wanted name is still missing', () => {
    const src = '"""Doc."""\nrevision = "a"\n\ndef helper():\n    pass\n\ndown_revision = "b"\n';
    const mod = readPython(src, new Set(['revision', 'down_revision']), { moduleHeaderOnly: true });
    expect(mod.assignments.map((a) => a.name)).toEqual(['revision', 'down_revision']);
  });
});
