import { AUTH_ENTITIES } from '@charlotte/auth';
import { dataSourceOptions } from '@charlotte/core';
import { DataSource, DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from './migrations';

/** Every entity of every lib: the app composes the schema. */
export const ENTITIES = [...AUTH_ENTITIES];

export function appDataSourceOptions(url: string, poolSize = 10, applicationName = 'charlotte'): DataSourceOptions {
  return dataSourceOptions({ url, entities: ENTITIES, migrations: MIGRATIONS, poolSize, applicationName });
}

export function createAppDataSource(url: string, poolSize = 10, applicationName = 'charlotte'): DataSource {
  return new DataSource(appDataSourceOptions(url, poolSize, applicationName));
}
