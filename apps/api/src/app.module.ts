import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApplicationsModule, ClientsModule, OfficesModule } from '@charlotte/applications';
import { AuditModule } from '@charlotte/audit';
import { AuthModule } from '@charlotte/auth';
import { BackupModule } from '@charlotte/backup';
import { AppConfig, ConfigModule, HealthModule, MetricsModule } from '@charlotte/core';
import { CryptoModule } from '@charlotte/crypto';
import { DashboardModule } from '@charlotte/dashboard';
import { FilingModule } from '@charlotte/filing';
import { NotificationsModule } from '@charlotte/notifications';
import { PortalModule } from '@charlotte/portal';
import { ProceduresModule } from '@charlotte/procedures';
import { WebhooksModule } from '@charlotte/webhooks';
import { KeyRotationJob } from './jobs/key-rotation.job';
import { appDataSourceOptions } from './schema';

@Module({})
export class AppModule {
  /** The whole application, on the database at `databaseUrl`. */
  static forRoot(config: AppConfig, databaseUrl: string, options: { schedule?: boolean } = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        TypeOrmModule.forRoot({ ...appDataSourceOptions(databaseUrl, config.databasePoolSize), retryAttempts: 3, retryDelay: 1000 }),
        ...(options.schedule === false ? [] : [ScheduleModule.forRoot()]),
        HealthModule,
        MetricsModule,
        CryptoModule,
        AuditModule,
        AuthModule,
        NotificationsModule,
        // In this order so that the OpenAPI document lists the paths as before the libs were split.
        OfficesModule,
        ProceduresModule,
        ApplicationsModule,
        FilingModule,
        BackupModule,
        DashboardModule,
        WebhooksModule,
        ClientsModule,
        PortalModule,
      ],
      providers: [KeyRotationJob],
    };
  }
}
