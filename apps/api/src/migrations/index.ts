import { Foundation1764000000000 } from './1764000000000-Foundation';

/** Every migration, in order. `npm run migration:generate` appends new files here. */
export const MIGRATIONS = [Foundation1764000000000];
