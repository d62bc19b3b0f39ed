import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'charlotte:isPublic';

/** Marks a route that needs no authentication. Everything else is denied by default. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
