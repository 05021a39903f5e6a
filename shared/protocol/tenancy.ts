/** An org id (the tenant, `app_metadata.org_id`): 1–64 of `[A-Za-z0-9_-]` (docs/protocol.md §2.3). */
export const ORG_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
