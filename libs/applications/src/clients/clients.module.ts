import { Module } from '@nestjs/common';
import { OfficesModule } from '../offices/offices.module';
import { AssignmentsController, ClientsController } from './clients.controller';
import { ClientsService } from './clients.service';

/** 顧問先 (client companies), staff assignments and the CSV import; the access policy itself is ClientAccessService (OfficesModule). */
@Module({
  imports: [OfficesModule],
  controllers: [ClientsController, AssignmentsController],
  providers: [ClientsService],
  exports: [ClientsService],
})
export class ClientsModule {}
