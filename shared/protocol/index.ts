/** The wire protocol in one import: schemas, types, builders, parsing and role rules. */
export * from './staff';
export * from './staff-input';
export * from './frames';
export * from './server-frames';
export * from './roles';
