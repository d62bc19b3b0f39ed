// The public surface of libs/applications: offices, applications (ApplicationStore owns their rows and
// events), attachments, and the extension points other libs register with (extensions.ts).
export * from './applications.module';
export * from './offices/offices.module';
export * from './clients/clients.module';
export { ClientAccess, CLIENT_RIGHTS } from './clients/client-access';
export type { ClientRight } from './clients/client-access';
export { ClientAccessService } from './clients/client-access.service';
export { ClientsService } from './clients/clients.service';
export * from './clients/dto/client.dto';
export { actorOf } from './applications/actor';
export * from './applications/application.store';
export * from './applications/applications.service';
export * from './applications/dto/application.dto';
export * from './applications/extensions';
export { AttachmentsService, cleanFileName, contentDisposition } from './attachments/attachments.service';
export * from './offices/offices.service';
export * from './offices/dto/office.dto';
export * from './errors';
