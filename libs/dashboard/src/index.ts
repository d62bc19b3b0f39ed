// The public surface of libs/dashboard (the homes): nothing depends on it except apps/api.
export * from './dashboard.module';
export * from './tenant/dashboard.service';
export * from './tenant/dto/dashboard.dto';
export * from './operator/operator-overview.service';
export * from './operator/operator-overview.dto';
