// Everything the CLI and the workers print during a test run is also kept in
// one folder (made by the global setup), so that the last test file can
// sweep it, with every workflow history, for secrets.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    outputDir: string;
  }
}

/** Appends to one of the run's output files (e.g. cli.log, worker-123.log). */
export function keepOutput(file: string, text: string): void {
  appendFileSync(join(inject('outputDir'), file), text);
}
