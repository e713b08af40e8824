// Custom search attributes: filter deploys in the Web UI by environment,
// version and outcome. Written here once: the server must know them, and
// test/unit/search-attributes.test.ts checks that lab/steps/temporal.sh and
// docker-compose.temporal.yml register exactly these.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const ENVIRONMENT = defineSearchAttributeKey('SmokestackEnvironment', SearchAttributeType.KEYWORD);
export const VERSION = defineSearchAttributeKey('SmokestackVersion', SearchAttributeType.KEYWORD);
export const OUTCOME = defineSearchAttributeKey('SmokestackOutcome', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [ENVIRONMENT, VERSION, OUTCOME];
