/**
 * The CLI bundle maps `node:child_process` here. commander imports it at load time only to run
 * executable subcommands, which bluehook never uses; loading the real module (and net, dgram)
 * would cost every start-up a few milliseconds.
 */
const unavailable = () => {
  throw new Error('child processes are not available in the bluehook CLI bundle');
};
export const spawn = unavailable;
export const execFile = unavailable;
export const execFileSync = unavailable;
export default { spawn, execFile, execFileSync };
