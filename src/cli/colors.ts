/** chalk, switched off unless colour is wanted (TTY, FORCE_COLOR, NO_COLOR, --no-color). */
import { Chalk, type ChalkInstance } from 'chalk';
import { wantColor, type GlobalOptions } from './output.js';

export const colors = (opts: GlobalOptions): ChalkInstance =>
  new Chalk({ level: wantColor(opts) ? 1 : 0 });
