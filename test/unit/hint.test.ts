import { describe, expect, it } from 'vitest';
import { hint } from '../../src/hint.js';
import { remedyText } from '../../src/render/remedy.js';

const CTX = { bin: 'acme', envPrefix: 'ACME', server: { kind: 'url', url: 'https://h.example' } } as const;

describe('remedyText', () => {
  it('steps: words that lead into a command end in a colon, so the command after it pastes as it stands', () => {
    const text = remedyText(
      hint.steps(hint.text('Wait for the run to finish, then check again:'), hint.run(['server', 'status'], { forServer: true })),
      CTX,
    );
    expect(text).toBe('Wait for the run to finish, then check again: acme server status --server https://h.example');
    const words = remedyText(hint.steps(hint.text('Fix the cause'), hint.text('then upgrade again')), CTX);
    expect(words).toBe('Fix the cause; then upgrade again');
    const commands = remedyText(hint.steps(hint.run(['server', 'status']), hint.run(['compat', 'show'])), CTX);
    expect(commands).toBe('acme server status; acme compat show');
  });
});
