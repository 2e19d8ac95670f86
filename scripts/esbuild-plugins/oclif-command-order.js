// oclif sorts each plugin's commands with localeCompare when it loads the plugin, and the first collation of a
// process creates ICU's collator, ≈ 7 ms. bin/run.js hands in a plain code-unit order (the commandOrder hook,
// bin/startup/hooks.js) for the runs where the order is never seen: one of handshake's own commands, no plugins, no
// help, no suggestions. Sound only while no two of the commands' ids and aliases can sort differently by the two
// orders' ties: the commands must have no aliases (`commands`, the oclif manifest's, is checked). bench/NOTES.md,
// step 11.
import { hookExpression } from '../../bin/startup/hooks.js';
import { dependencyFile, sourceRewrite } from './source-rewrite.js';

export default function oclifCommandOrder({ commands }) {
  for (const [id, c] of Object.entries(commands)) {
    if ((c.aliases ?? []).length || (c.hiddenAliases ?? []).length)
      throw new Error(`oclif-command-order: ${id} has aliases; bin/run.js's plain command order assumes none can collide`);
  }
  return sourceRewrite('oclif-command-order', [
    {
      file: dependencyFile('@oclif/core', 'lib/config/plugin.js'),
      from: '.sort((a, b) => a.id.localeCompare(b.id));',
      to: `.sort(${hookExpression('commandOrder', '((a, b) => a.id.localeCompare(b.id))')});`,
    },
  ]);
}
