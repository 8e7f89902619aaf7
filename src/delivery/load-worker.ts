/** Worker-thread entry for parallel load: runs one LoadJob and reports lines, progress and stats. */
import { parentPort, workerData } from 'node:worker_threads';
import { runLoadJob, type LoadJob } from './load-job.js';

const port = parentPort!;
const abort = new AbortController();
port.on('message', (m: { type: string }) => {
  if (m.type === 'abort') abort.abort();
});
const stats = await runLoadJob(workerData as LoadJob, {
  onLines: (lines) => port.postMessage({ type: 'lines', lines }),
  onProgress: (sent, failed) => port.postMessage({ type: 'progress', sent, failed }),
  signal: abort.signal,
});
port.postMessage({ type: 'done', parts: stats.parts() });
port.close();
