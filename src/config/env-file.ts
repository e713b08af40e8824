// What a stack's .env file can hold. The schema refuses plain settings by this
// rule, planning refuses secrets by it, and the upload writes by it: one rule,
// so a value refused at upload time was already refused before any host.

// Compose v2 and v1 both read a single-quoted value literally, but neither can
// carry a single quote or a line break inside one: the value would change.
const UNWRITABLE = /['\n\r]/;

/** Whether a value can be written to a .env file and read back exactly. */
export const envWritable = (value: string): boolean => !UNWRITABLE.test(value);

/** Why a value was refused; says nothing of the value itself, which may be a secret. */
export const NOT_ENV_WRITABLE = 'holds a single quote or a line break, which a .env file cannot hold exactly';
