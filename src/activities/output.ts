// Reading what remote commands print.

/** The last n lines of a command's output: where its error is. */
export function lastLines(text: string, n: number): string {
  return text.trim().split('\n').slice(-n).join('\n');
}

/** `docker … inspect --format {{json .}}` prints one JSON document per line. */
export function jsonLines<T>(output: string): T[] {
  return output
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);
}
