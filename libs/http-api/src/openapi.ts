/**
 * The OpenAPI 3.1 description of the HTTP API, written by hand next to the routes it describes
 * (the routes test checks that every path here is served). Served at `/openapi.json`.
 */

type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json };

const problem = { $ref: '#/components/responses/Problem' } as const;
const idParam = { $ref: '#/components/parameters/Id' } as const;
const errors = { '400': problem, '401': problem, '429': problem, '500': problem } as const;

/** The OpenAPI document of this API. */
export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Framewatch API',
    version: '1.0.0',
    description: 'Submit audio/video for quality analysis, follow it live, fetch the report (schema v1).',
  },
  security: [{ bearer: [] }],
  paths: {
    '/v1/analyses': {
      post: {
        operationId: 'createAnalysis',
        summary: 'Submit a source (JSON) or upload media (the body itself).',
        parameters: [
          { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', minLength: 1, maxLength: 255 } },
        ],
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: { $ref: '#/components/schemas/Submission' } },
            'video/*': { schema: { type: 'string', contentMediaType: 'video/*' } },
            'audio/*': { schema: { type: 'string', contentMediaType: 'audio/*' } },
            'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } },
          },
        },
        responses: {
          '202': {
            description: 'Accepted and queued.',
            headers: { Location: { schema: { type: 'string' } } },
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Analysis' } } },
          },
          ...errors,
          '409': problem,
          '413': problem,
          '415': problem,
          '422': problem,
        },
      },
      get: {
        operationId: 'listAnalyses',
        parameters: [
          { name: 'status', in: 'query', schema: { $ref: '#/components/schemas/Status' } },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } },
          { name: 'after', in: 'query', description: 'Exclusive cursor: the `next` of the previous page.', schema: { type: 'string' } },
        ],
        responses: {
          '200': {
            description: 'One page of analyses, in creation order.',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['items', 'next'],
                  properties: {
                    items: { type: 'array', items: { $ref: '#/components/schemas/Analysis' } },
                    next: { type: ['string', 'null'] },
                  },
                },
              },
            },
          },
          ...errors,
        },
      },
    },
    '/v1/analyses/{id}': {
      parameters: [idParam],
      get: {
        operationId: 'getAnalysis',
        responses: {
          '200': { description: 'The analysis status.', content: { 'application/json': { schema: { $ref: '#/components/schemas/Analysis' } } } },
          ...errors,
          '404': problem,
        },
      },
      delete: {
        operationId: 'cancelAnalysis',
        description: 'A queued analysis is cancelled at once; a running one is asked to stop. Idempotent.',
        responses: {
          '202': { description: 'Cancellation recorded.', content: { 'application/json': { schema: { $ref: '#/components/schemas/Analysis' } } } },
          ...errors,
          '404': problem,
        },
      },
    },
    '/v1/analyses/{id}/report': {
      parameters: [idParam],
      get: {
        operationId: 'getReport',
        responses: {
          '200': {
            description:
              'Report schema v1: of a succeeded analysis; of one cancelled while running (status `cancelled`, what it saw until then; a live stream ends no other way); of a live analysis still running (status `running`: its latest checkpoint, with `checkpoint.open` listing the events open then); of a live analysis that failed after seeing something (status `failed`).',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Report' } } },
          },
          ...errors,
          '404': problem,
          '409': { description: 'The analysis has no report (queued, running a file, failed or cancelled before it stored anything); `jobStatus` says where it is.', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
        },
      },
    },
    '/v1/analyses/{id}/events': {
      parameters: [idParam, { name: 'Last-Event-ID', in: 'header', required: false, schema: { type: 'string', pattern: '^[0-9]+$' } }],
      get: {
        operationId: 'streamEvents',
        description:
          'Server-sent events: `id: <seq>`, `event: status|progress|defect.opened|defect.closed|degraded`, `data: <json>`; heartbeat comments; a final `event: end` after the analysis is terminal.',
        responses: { '200': { description: 'An event stream.', content: { 'text/event-stream': { schema: { type: 'string' } } } }, ...errors, '404': problem },
      },
    },
    '/healthz': {
      get: { operationId: 'healthz', security: [], responses: { '200': { description: 'The process is alive.' } } },
    },
    '/readyz': {
      get: { operationId: 'readyz', security: [], responses: { '200': { description: 'Dependencies are reachable.' }, '503': problem } },
    },
    '/metrics': {
      get: { operationId: 'metrics', responses: { '200': { description: 'Prometheus text format.', content: { 'text/plain': { schema: { type: 'string' } } } }, '401': problem } },
    },
    '/openapi.json': {
      get: { operationId: 'openapi', responses: { '200': { description: 'This document.' }, '401': problem } },
    },
  },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    parameters: {
      Id: { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' } },
    },
    responses: {
      Problem: { description: 'An RFC 9457 problem.', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
    },
    schemas: {
      Status: { type: 'string', enum: ['queued', 'running', 'succeeded', 'failed', 'cancelled'] },
      Submission: {
        type: 'object',
        additionalProperties: false,
        required: ['source'],
        properties: {
          source: {
            oneOf: [
              {
                type: 'object',
                additionalProperties: false,
                required: ['url'],
                properties: {
                  url: {
                    type: 'string',
                    format: 'uri',
                    pattern: '^(https?|srt|udp)://',
                    maxLength: 2048,
                    description:
                      'A file or HLS playlist over http(s), an SRT stream to call (srt://host:port, caller mode), or MPEG-TS over UDP to receive (udp://…, only where the deployment sets FRAMEWATCH_ALLOW_UDP_SOURCES). Live sources run until cancelled.',
                  },
                },
              },
              {
                type: 'object',
                additionalProperties: false,
                required: ['s3'],
                properties: {
                  s3: { type: 'object', additionalProperties: false, required: ['bucket', 'key'], properties: { bucket: { type: 'string' }, key: { type: 'string' } } },
                },
              },
            ],
          },
          detectors: { type: 'array', minItems: 1, maxItems: 32, uniqueItems: true, items: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,31}$' } },
        },
      },
      Analysis: {
        type: 'object',
        required: ['id', 'status', 'source', 'createdAt', 'updatedAt', 'attempts', 'error', 'links'],
        properties: {
          id: { type: 'string' },
          status: { $ref: '#/components/schemas/Status' },
          source: {
            type: 'object',
            description: 'Exactly one of url, s3, upload; a URL is shown without its query or credentials, an upload by name and size only.',
            properties: {
              url: { type: 'string' },
              s3: { type: 'object', properties: { bucket: { type: 'string' }, key: { type: 'string' } } },
              upload: { type: 'object', properties: { name: { type: 'string' }, bytes: { type: 'integer' }, contentType: { type: 'string' } } },
            },
          },
          detectors: { type: ['array', 'null'], items: { type: 'string' } },
          createdAt: { type: 'string', format: 'date-time' },
          updatedAt: { type: 'string', format: 'date-time' },
          attempts: { type: 'integer' },
          cancelRequested: { type: 'boolean' },
          error: { type: ['object', 'null'], properties: { code: { type: 'string' }, message: { type: 'string' } } },
          links: {
            type: 'object',
            properties: { self: { type: 'string' }, report: { type: 'string' }, events: { type: 'string' } },
          },
        },
      },
      Report: {
        type: 'object',
        description: 'Report schema v1 (DESIGN.md). Fields may be added.',
        required: ['schemaVersion', 'id', 'source', 'status', 'media', 'stats', 'defects'],
        properties: {
          schemaVersion: { const: 1 },
          id: { type: 'string' },
          source: { type: 'string' },
          status: { $ref: '#/components/schemas/Status' },
          media: { type: 'object' },
          stats: { type: 'object' },
          defects: {
            type: 'array',
            items: {
              type: 'object',
              required: ['type', 'startSec', 'endSec', 'confidence'],
              properties: {
                type: { type: 'string' },
                startSec: { type: 'number' },
                endSec: { type: 'number' },
                confidence: { type: 'number' },
                detail: { type: 'object' },
              },
            },
          },
          checkpoint: {
            type: 'object',
            description: 'Only while a live analysis is running: when its latest checkpoint was taken, its position on the timeline, and the events open then.',
            required: ['savedAt', 'mediaSec', 'open'],
            properties: { savedAt: { type: 'string', format: 'date-time' }, mediaSec: { type: 'number' }, open: { type: 'array', items: { type: 'object' } } },
          },
        },
      },
      Problem: {
        type: 'object',
        required: ['type', 'title', 'status', 'code', 'detail'],
        properties: {
          type: { type: 'string' },
          title: { type: 'string' },
          status: { type: 'integer' },
          code: { type: 'string' },
          detail: { type: 'string' },
          instance: { type: 'string' },
          jobStatus: { $ref: '#/components/schemas/Status' },
        },
      },
    },
  },
} as const satisfies { readonly [key: string]: Json };
