import { Foundation1764000000000 } from './1764000000000-Foundation';
import { AuditTrail1764100000000 } from './1764100000000-AuditTrail';

/** Every migration, in order. `npm run migration:generate` appends new files here. */
export const MIGRATIONS = [Foundation1764000000000, AuditTrail1764100000000];
