/** Runs the integrity check off the main thread, so that a listener answers while it runs. */
import { parentPort, workerData } from 'node:worker_threads';
import { checkIntegrity } from './integrity.js';

const { file } = workerData as { file: string };
try {
  parentPort!.postMessage(checkIntegrity(file));
} catch (e) {
  parentPort!.postMessage({ error: (e as Error).message });
}
