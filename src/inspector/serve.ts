/** The inspector over a history and a store already open: its service and its HTTP server, started together. */
import { bindError } from '../util/network-errors.js';
import { startInspector, type RunningInspector } from './server.js';
import { InspectorService, type InspectorOptions } from './service.js';

export interface InspectorSetup extends InspectorOptions {
  host: string;
  port: number;
}

/** Used by `bluehook inspect` and `listen --inspect`; a port in use is a BluehookError (`address-in-use`). */
export async function serveInspector(setup: InspectorSetup): Promise<RunningInspector> {
  const { host, port, ...options } = setup;
  const service = new InspectorService(options);
  try {
    return await startInspector(service, { host, port });
  } catch (error) {
    await service.close();
    throw bindError(error, host, port);
  }
}
