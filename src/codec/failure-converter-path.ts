// Where failure-converter.ts is, for the SDK, which loads a failure
// converter by path (DataConverter.failureConverterPath): src/codec/*.ts
// under tsx or vitest, dist/codec/*.js once compiled.
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FAILURE_CONVERTER_PATH = fileURLToPath(new URL(`./failure-converter${extname(import.meta.url)}`, import.meta.url));
