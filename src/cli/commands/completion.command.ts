/** The definition of `bluehook completion`: flags, help, examples. The handler is ./completion.ts, loaded when it runs. */
import { Option } from '@commander-js/extra-typings';
import type { Program } from '../root.js';
import { examples, exitWith, payloadFlags, schemeOption, secretFlags, webhookFlags } from '../flags.js';
import { collect, intOption } from '../inputs.js';

export function defineCompletion(program: Program) {
  return program
    .command('completion')
    .argument('<shell>', 'bash, zsh or fish')
    .description('print a shell completion script: commands, flags, event names, webhook names, delivery ids')
    .addHelpText('after', examples('bluehook completion bash > ~/.local/share/bash-completion/completions/bluehook', 'eval "$(bluehook completion zsh)"         # in ~/.zshrc, after compinit', 'bluehook completion fish > ~/.config/fish/completions/bluehook.fish'))
    .action(async (shell: string) => {
      const { script } = await import('../completion.js');
      process.stdout.write(script(shell));
    });
}
