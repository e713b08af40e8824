// Manifests over the registry's HTTP API (v2), read and written as their
// exact bytes: a manifest's digest is the sha256 of its bytes, so a tag put
// from those bytes names the very digest that was built and tested.
import { failure } from '../../workflows/failures.ts';
import { sha256 } from '../hash.ts';

/**
 * Every manifest type we copy, sent on every GET. Registry 2.8.2 answers a
 * client that does not accept a list with one platform's manifest, and one
 * that accepts no v2 type with a schema1 rewrite: either has another digest.
 */
export const ACCEPT = [
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
] as const;

export interface Manifest {
  bytes: Buffer;
  mediaType: string;
  /** sha256:..., of exactly `bytes`. */
  digest: string;
}

// Long enough for a slow registry, short enough that a hung one is retried rather than waited on.
const TIMEOUT_MS = 30_000;

// The distribution spec's grammar: names go into a URL path, so nothing else may.
const REPOSITORY = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

export const isDigest = (reference: string): boolean => DIGEST.test(reference);

/** The digest of a manifest: of its exact bytes, never of re-serialized JSON. */
export const digestOf = (bytes: Buffer): string => `sha256:${sha256(bytes)}`;

/** The path of a manifest, refusing what the grammar does not allow (a tag or a sha256 digest). */
export function manifestPath(repository: string, reference: string): string {
  if (!REPOSITORY.test(repository)) throw failure('InvalidInput', `not a repository name: ${JSON.stringify(repository)}`);
  if (!TAG.test(reference) && !isDigest(reference)) throw failure('InvalidInput', `not a tag or sha256 digest: ${JSON.stringify(reference)}`);
  return `/v2/${repository}/manifests/${reference}`;
}

/**
 * The manifest's own `mediaType` field: it is what the bytes say they are. OCI
 * manifests may leave it out; then the registry's Content-Type is all there is.
 */
export function mediaTypeOf(bytes: Buffer, contentType: string | null): string {
  let field: unknown;
  try {
    field = (JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown }).mediaType;
  } catch {
    // Not JSON: only the header can tell.
  }
  if (typeof field === 'string' && field) return field;
  const header = contentType?.split(';')[0]!.trim();
  if (header) return header;
  throw new Error('manifest has no mediaType field and the registry sent no Content-Type');
}

/** The registry's own words for a refusal: "CODE: message" per error, else the body as sent. */
async function errorText(res: Response): Promise<{ codes: string[]; text: string }> {
  const body = await res.text().catch(() => '');
  try {
    const errors = (JSON.parse(body) as { errors?: { code?: string; message?: string }[] }).errors ?? [];
    if (errors.length) return { codes: errors.map((e) => e.code ?? ''), text: errors.map((e) => `${e.code}: ${e.message}`).join('; ') };
  } catch {
    // Not the registry's JSON (a proxy's page, say).
  }
  return { codes: [], text: body.trim().slice(0, 300) };
}

/** One request; a registry that does not answer is a plain Error, which the activity's retry policy retries. */
async function call(method: string, registryUrl: string, path: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(`${registryUrl.replace(/\/+$/, '')}${path}`, { ...init, method, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new Error(`${method} ${path}: no answer from ${registryUrl} (${cause})`);
  }
}

function checkDigest(what: string, expected: string, actual: string): void {
  if (expected !== actual) throw failure('RegistryDigestMismatch', `${what}: expected ${expected}, got ${actual}`);
}

/** The manifest `reference` (a tag or a digest) names in `repository`, or null when the registry has none. */
export async function getManifest(registryUrl: string, repository: string, reference: string): Promise<Manifest | null> {
  const path = manifestPath(repository, reference);
  const res = await call('GET', registryUrl, path, { headers: { accept: ACCEPT.join(', ') } });
  if (!res.ok) {
    const { codes, text } = await errorText(res);
    if (res.status === 404 && codes.some((c) => c === 'MANIFEST_UNKNOWN' || c === 'NAME_UNKNOWN')) return null;
    throw new Error(`GET ${path} -> ${res.status} ${text}`);
  }
  const bytes = Buffer.from(await res.arrayBuffer());
  const digest = digestOf(bytes);
  if (isDigest(reference)) checkDigest(`GET ${path}: the bytes' digest`, reference, digest);
  const served = res.headers.get('docker-content-digest');
  if (served) checkDigest(`GET ${path}: the bytes' digest against Docker-Content-Digest`, served, digest);
  return { bytes, mediaType: mediaTypeOf(bytes, res.headers.get('content-type')), digest };
}

/** Points `tag` at `manifest` by putting its exact bytes; the registry must answer the same digest. */
export async function putManifest(registryUrl: string, repository: string, tag: string, manifest: Manifest): Promise<void> {
  if (isDigest(tag)) throw failure('InvalidInput', `a tag, not a digest, is put: ${tag}`);
  const path = manifestPath(repository, tag);
  const res = await call('PUT', registryUrl, path, { headers: { 'content-type': manifest.mediaType }, body: new Uint8Array(manifest.bytes) });
  if (!res.ok) throw new Error(`PUT ${path} -> ${res.status} ${(await errorText(res)).text}`);
  await res.body?.cancel();
  checkDigest(`PUT ${path}: Docker-Content-Digest`, manifest.digest, res.headers.get('docker-content-digest') ?? '(none)');
}
