/**
 * The commands whose handler takes its option type from its definition (`<name>.command.ts`
 * exports the flags and `<Name>Options`): their handler is attached here rather than in the
 * definition, so that the arrows run one way (definition ← handler, and this module → both).
 * A handler still loads only when its command runs.
 */
import { createCommand } from './commands/create.command.js';
import { inspectCommand } from './commands/inspect.command.js';
import { listenCommand } from './commands/listen.command.js';
import { replayCommand } from './commands/replay.command.js';
import { sendCommand } from './commands/send.command.js';
import { verifyCommand } from './commands/verify.command.js';
import { exitWith } from './flags.js';
import { processIo } from './output.js';
import type { Program } from './root.js';

export function defineCreate(program: Program) {
  return createCommand(program).action(async (_opts, cmd) =>
    exitWith(await (await import('./commands/create.js')).run(cmd.optsWithGlobals(), processIo)),
  );
}

export function defineInspect(program: Program) {
  return inspectCommand(program).action(async (_opts, cmd) =>
    exitWith(await (await import('./commands/inspect.js')).run(cmd.optsWithGlobals(), processIo)),
  );
}

export function defineListen(program: Program) {
  return listenCommand(program).action(async (_opts, cmd) =>
    exitWith(await (await import('./commands/listen.js')).run(cmd.optsWithGlobals(), processIo)),
  );
}

export function defineReplay(program: Program) {
  return replayCommand(program).action(async (a, _opts, cmd) =>
    exitWith(await (await import('./commands/replay.js')).run(a, cmd.optsWithGlobals(), processIo)),
  );
}

export function defineSend(program: Program) {
  return sendCommand(program).action(async (a, _opts, cmd) =>
    exitWith(await (await import('./commands/send.js')).run(a, cmd.optsWithGlobals(), processIo)),
  );
}

export function defineVerify(program: Program) {
  return verifyCommand(program).action(async (a, _opts, cmd) =>
    exitWith(await (await import('./commands/verify.js')).run(a, cmd.optsWithGlobals(), processIo)),
  );
}
