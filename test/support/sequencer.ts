// The lab's test files run one at a time in vitest's usual order, except
// the secrets sweep, which must see every other file's workflows and output.
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const LAST = /zz-secrets-sweep\.test\.ts$/;

export default class LabSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    return [...sorted.filter((f) => !LAST.test(f.moduleId)), ...sorted.filter((f) => LAST.test(f.moduleId))];
  }
}
