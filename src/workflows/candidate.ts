// The release candidate: what the dev environments run now, by digest.
// Taken only when every dev environment is healthy, its last recorded deploy
// succeeded, and its containers are exactly what that deploy started; and
// when they all agree. Pure: the promotion calls it with what its
// activities read. Anything else refuses the promotion, naming what runs where.
import { failure } from './failures.ts';
import { digestIn, repositoryOf, shortDigest as short } from './image-refs.ts';
import type { Candidate, LastDeploy, PromotionPlan, RunningStack } from './types.ts';

/** What one dev environment shows that keeps it from being released, or null. */
export function devProblem(running: RunningStack, record: LastDeploy | undefined): string | null {
  const env = running.environment;
  if (!running.healthy) return `${env} fails its health check now: ${running.problems ?? 'unhealthy'}`;
  if (!record || record.outcome === 'none') return `${env} has no recorded deploy`;
  if (record.outcome === 'running') return `a deploy to ${env} is running`;
  if (record.outcome !== 'succeeded') return `the last deploy to ${env} ended ${record.outcome}`;
  if (running.version !== record.version) return `${env} runs VERSION=${running.version ?? 'none'}, but its last deploy was ${record.version}`;
  const drifted = running.images.filter((image) => {
    const recorded = record.services.find((s) => s.service === image.service);
    return !recorded || recorded.digest !== image.digest;
  });
  if (drifted.length > 0) {
    const what = drifted.map((i) => `${i.service} runs ${short(digestIn(i.digest))}`).join(', ');
    return `${env}'s containers are not what its last deploy started: ${what}`;
  }
  return null;
}

/**
 * The candidate, from every dev environment. Repositories of the release
 * that no dev environment runs are returned as `unresolved`: the caller
 * resolves them from the tag dev was deployed with, and says so.
 */
export function candidateFrom(plan: Pick<PromotionPlan, 'repositories'>, running: RunningStack[], records: LastDeploy[]): { candidate: Candidate; unresolved: string[] } {
  const problems = running.map((r) => devProblem(r, records.find((d) => d.environment === r.environment))).filter((p): p is string => p !== null);
  if (problems.length > 0) throw failure('CandidateRefused', `dev is not releasable: ${problems.join('; ')}`);
  const versions = [...new Set(running.map((r) => r.version))];
  if (versions.length !== 1) {
    throw failure('CandidateRefused', `dev runs different versions: ${running.map((r) => `${r.environment} ${r.version}`).join(', ')}`);
  }
  const images: Candidate['images'] = [];
  const conflicts: string[] = [];
  for (const stack of running) {
    for (const image of stack.images) {
      const repository = repositoryOf(image.image);
      if (!plan.repositories.includes(repository)) continue;
      const digest = digestIn(image.digest);
      if (!digest) {
        conflicts.push(`${stack.environment} runs ${repository} from a local image with no registry digest`);
        continue;
      }
      const seen = images.find((i) => i.repository === repository);
      if (!seen) images.push({ repository, digest, from: stack.environment });
      else if (seen.digest !== digest) conflicts.push(`${repository} is ${short(seen.digest)} on ${seen.from} but ${short(digest)} on ${stack.environment}`);
    }
  }
  if (conflicts.length > 0) throw failure('CandidateRefused', `dev does not agree on the release: ${conflicts.join('; ')}`);
  const unresolved = plan.repositories.filter((r) => !images.some((i) => i.repository === r));
  return { candidate: { sourceVersion: versions[0]!, images }, unresolved };
}
