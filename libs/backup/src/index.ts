// The public surface of libs/backup: generations, restore, contract end, deletion and certificates.
export * from './backup.module';
export * from './errors';
export * from './stores';
export * from './tenant-lock';
export * from './tenant-tables';
export * from './tenant-lookup';
// contract end, deletion, certificates
export * from './contract/business-days';
export * from './contract/contract.service';
export * from './deletion/deletion.service';
export * from './deletion/deletion.jobs';
export * from './certificates/certificate';
export * from './certificates/certificate-pdf';
export * from './certificates/certificates.service';
export * from './generations/archive';
export * from './generations/manifest';
export * from './generations/generations.service';
export * from './generations/restore.service';
export * from './generations/backup.jobs';
export * from './generations/backup-operator.service';
export * from './http/backups.dto';
export * from './job-failures.service';
