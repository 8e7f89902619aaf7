import type { Program } from '../root.js';
import { examples } from '../flags.js';

export function defineCompletion(program: Program) {
  return program
    .command('completion')
    .argument('<shell>', 'bash, zsh or fish')
    .description(
      'print a shell completion script: commands, flags, event names, webhook names, delivery ids',
    )
    .addHelpText(
      'after',
      examples(
        'bluehook completion bash > ~/.local/share/bash-completion/completions/bluehook',
        'eval "$(bluehook completion zsh)"         # in ~/.zshrc, after compinit',
        'bluehook completion fish > ~/.config/fish/completions/bluehook.fish',
      ),
    )
    .action(async (shell: string) => {
      const { script } = await import('../completion.js');
      process.stdout.write(script(shell));
    });
}
