// The public surface of libs/backup: generations, restore, contract end, deletion and certificates.
export * from './backup.module';
export * from './errors';
export * from './stores';
export * from './tenant-lock';
export * from './tenant-tables';
export * from './tenant-lookup';
