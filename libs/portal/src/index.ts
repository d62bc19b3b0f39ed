// The public surface of libs/portal: the 顧問先ポータル (client portal) module and its error codes.
export * from './portal.module';
export * from './errors';
export { RequestsService } from './requests/requests.service';
export * from './requests/dto/request.dto';
