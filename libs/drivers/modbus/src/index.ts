export * from './attributes';
export * from './codec';
export * from './planner';
