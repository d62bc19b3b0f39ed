import { Module } from '@nestjs/common';
import { OfficesController } from './offices.controller';
import { OfficesService } from './offices.service';
import { ClientAccessService } from '../clients/client-access.service';

/** Offices (事業所) of a tenant: a module of its own so that AppModule can list it first (the OpenAPI paths keep their order). */
@Module({
  controllers: [OfficesController],
  // The 顧問先 access policy lives here because offices are the first to need it; ClientsModule and ApplicationsModule import it.
  providers: [OfficesService, ClientAccessService],
  exports: [OfficesService, ClientAccessService],
})
export class OfficesModule {}
