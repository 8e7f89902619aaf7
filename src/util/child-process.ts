/**
 * node:child_process as Node has it. The CLI bundle maps imports of it to a stub (commander imports
 * it at load time; see cli/child-process-stub.ts), so code that really starts processes asks Node
 * for the built-in module. Undefined before Node 20.16, which lacks process.getBuiltinModule.
 */
export function childProcess(): typeof import('node:child_process') | undefined {
  return process.getBuiltinModule?.('node:child_process') as
    | typeof import('node:child_process')
    | undefined;
}
