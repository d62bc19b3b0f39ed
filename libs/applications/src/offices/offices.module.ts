import { Module } from '@nestjs/common';
import { OfficesController } from './offices.controller';
import { OfficesService } from './offices.service';

/** Offices (事業所) of a tenant: a module of its own so that AppModule can list it first (the OpenAPI paths keep their order). */
@Module({
  controllers: [OfficesController],
  providers: [OfficesService],
  exports: [OfficesService],
})
export class OfficesModule {}
