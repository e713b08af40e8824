// What a pure function throws, for tests of the failure contract.
import { ApplicationFailure } from '@temporalio/common';
import { expect } from 'vitest';

/** The ApplicationFailure `fn` throws (fails the test when it throws nothing or something else). */
export function failureOf(fn: () => unknown): ApplicationFailure {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(ApplicationFailure);
  return thrown as ApplicationFailure;
}
