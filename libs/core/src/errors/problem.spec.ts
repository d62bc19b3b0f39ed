import { bodyParserProblem, problem } from './problem';

describe(bodyParserProblem.name, () => {
  it.each([
    ['entity.too.large', 413, 'payload_too_large'],
    ['entity.parse.failed', 400, 'malformed_body'],
    ['charset.unsupported', 415, 'unsupported_encoding'],
  ])('maps %s to %d %s', (type, status, code) => {
    expect(bodyParserProblem({ type, status })).toMatchObject({ status, code });
  });

  it('leaves unknown errors alone (they must become 500, not 4xx)', () => {
    expect(bodyParserProblem(new Error('boom'))).toBeUndefined();
    expect(bodyParserProblem({ status: 500 })).toBeUndefined();
  });

  it('builds RFC 9457 documents with our stable code', () => {
    expect(problem(404, 'not_found', 'Not found')).toEqual({
      type: 'urn:charlotte:problem:not_found',
      title: 'Not found',
      status: 404,
      detail: undefined,
      code: 'not_found',
    });
  });
});
