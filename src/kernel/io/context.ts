/**
 * What the I/O manager (io) is given when the kernel is built: the process
 * manager's context and the I/O manager itself.
 */
import type { PsContext } from '../ps/context.js';
import type { IoManager } from './manager.js';

/** The I/O manager's view of the machine. */
export interface IoContext extends PsContext {
  readonly io: IoManager;
}
