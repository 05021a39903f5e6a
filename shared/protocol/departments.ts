/**
 * Limits on the departments a subscription, a sync by departments or a token names
 * (docs/protocol.md §9). No zod here: the authorizer checks tokens with these and carries no zod.
 */
export const MAX_SUBSCRIBED_DEPARTMENTS = 50;
/** A department's name, in code points: the limit of a record's `department` field. */
export const DEPARTMENT_MAX_CHARS = 100;
