// Image references, read without I/O: workflows and activities both use them.

/** The repository part of a reference, Docker Hub prefixes removed: "mongo:7.0" -> "mongo". */
export function repositoryOf(ref: string): string {
  let name = ref.split('@')[0]!;
  const lastSlash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > lastSlash) name = name.slice(0, colon);
  return name.replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '').replace(/^library\//, '');
}

/** The digest part of a reference ("repo@sha256:..." -> "sha256:..."), or null when it has none. */
export function digestIn(ref: string | null | undefined): string | null {
  const at = ref?.lastIndexOf('@') ?? -1;
  return at >= 0 ? ref!.slice(at + 1) : null;
}

/** A digest as people read it in a line: its first 12 hex digits ("none" when there is none). */
export const shortDigest = (digest: string | null | undefined): string => (digest ? digest.replace(/^sha256:/, '').slice(0, 12) : 'none');
