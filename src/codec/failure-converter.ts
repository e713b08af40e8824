// The failure converter of an encrypting data converter (data-converter.ts):
// a failure's message and stack trace move out of the Failure's plain fields
// into its `encodedAttributes`, a payload, so the codec encrypts them like
// every other payload. Without it Temporal's history keeps them readable,
// and they hold remote stderr and container log lines.
//
// The SDK loads this file by path (failure-converter-path.ts) in two places
// that must agree: bundled into the workflow code by webpack, and
// require()d by the worker's and the clients' own loaders. So it imports
// nothing but @temporalio/common (the workflow sandbox has no Node), and it
// is written in plain JavaScript syntax, no type annotations: Node 20 loads
// it as an ES module where nothing compiles TypeScript (vitest's processes).
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
