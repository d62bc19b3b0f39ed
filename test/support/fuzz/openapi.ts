/**
 * The parts of our OpenAPI document the fuzz test walks: every operation, its
 * path/query/header parameters and its request body schema, plus a
 * "plausible" value for a schema so that one broken field reaches validation
 * code instead of failing on the first missing field.
 */
export interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  example?: unknown;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  nullable?: boolean;
  allOf?: Schema[];
}

interface Parameter {
  name: string;
  in: 'query' | 'path' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
}

interface RawOperation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema?: Schema }> };
  security?: Array<Record<string, unknown>>;
}

export interface OpenApiDoc {
  paths: Record<string, Record<string, RawOperation>>;
  components?: { schemas?: Record<string, Schema> };
}

export interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** The template, e.g. /api/v1/applications/{id}/attachments/{aid}. */
  path: string;
  pathParams: string[];
  query: Array<{ name: string; schema: Schema; required: boolean }>;
  headers: string[];
  /** Content type → resolved schema of the body, when the operation takes one. */
  body?: { contentType: string; schema: Schema };
  /** Documented as public (no security requirement). */
  isPublic: boolean;
  /** A stable name for messages and seeds. */
  id: string;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

export function resolve(doc: OpenApiDoc, s: Schema | undefined): Schema {
  let cur = s ?? {};
  for (let i = 0; i < 10 && cur.$ref; i++) {
    const name = cur.$ref.replace('#/components/schemas/', '');
    cur = doc.components?.schemas?.[name] ?? {};
  }
  if (cur.allOf?.length) {
    return cur.allOf.map((x) => resolve(doc, x)).reduce((a, b) => ({ ...a, ...b, properties: { ...a.properties, ...b.properties } }), {});
  }
  return cur;
}

export function operations(doc: OpenApiDoc): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const params = op.parameters ?? [];
      const contentType = op.requestBody ? Object.keys(op.requestBody.content)[0] : undefined;
      out.push({
        method,
        path,
        // taken from the template: Nest documents only some path parameters
        pathParams: [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]),
        query: params
          .filter((p) => p.in === 'query')
          .map((p) => ({ name: p.name, schema: resolve(doc, p.schema), required: !!p.required })),
        headers: [...new Set(params.filter((p) => p.in === 'header').map((p) => p.name.toLowerCase()))],
        body: contentType ? { contentType, schema: resolve(doc, op.requestBody?.content[contentType].schema) } : undefined,
        isPublic: !op.security?.length,
        id: `${method.toUpperCase()} ${path}`,
      });
    }
  }
  return out;
}

/** A value of the schema's type that is likely valid (example, first enum value, a plausible default). */
export function plausible(doc: OpenApiDoc, schema: Schema | undefined, depth = 0): unknown {
  const s = resolve(doc, schema);
  if (s.example !== undefined) return s.example;
  if (s.enum?.length) return s.enum[0];
  switch (s.type) {
    case 'string':
      if (s.format === 'date-time') return new Date(Date.now() + 86_400_000).toISOString();
      if (s.format === 'date') return '2026-01-01';
      if (s.format === 'uuid') return '00000000-0000-4000-8000-000000000000';
      return 'fuzz';
    case 'integer':
    case 'number':
      return s.minimum ?? 1;
    case 'boolean':
      return true;
    case 'array':
      return depth > 4 ? [] : [plausible(doc, s.items, depth + 1)];
    default: {
      if (depth > 4 || !s.properties) return {};
      const o: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(s.properties)) o[k] = plausible(doc, v, depth + 1);
      return o;
    }
  }
}
