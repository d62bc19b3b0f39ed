export * from './templates';
export * from './mail-attachments';
export * from './mail-transport';
export * from './mail-outbox.service';
export * from './mail.worker';
