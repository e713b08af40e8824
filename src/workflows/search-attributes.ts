// Custom search attributes: filter deploys in the Web UI by environment,
// version and outcome. The server must know them (lab/steps/temporal.sh and
// `smokestack setup` register them).
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const ENVIRONMENT = defineSearchAttributeKey('SmokestackEnvironment', SearchAttributeType.KEYWORD);
export const VERSION = defineSearchAttributeKey('SmokestackVersion', SearchAttributeType.KEYWORD);
export const OUTCOME = defineSearchAttributeKey('SmokestackOutcome', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [ENVIRONMENT, VERSION, OUTCOME];
