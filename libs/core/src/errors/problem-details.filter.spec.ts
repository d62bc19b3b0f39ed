import type { ArgumentsHost } from '@nestjs/common';
import { ProblemDetailsFilter } from './problem-details.filter';

/** A minimal express-like response that records what was sent. */
function fakeHost(opts: { failFirstSend?: boolean } = {}) {
  const sent: Array<{ status: number; body: string }> = [];
  let status = 200;
  let sends = 0;
  const res = {
    headersSent: false,
    setHeader: () => res,
    status(s: number) {
      status = s;
      return res;
    },
    type: () => res,
    send(body: string) {
      sends++;
      if (opts.failFirstSend && sends === 1) throw new Error('socket hiccup');
      sent.push({ status, body });
      return res;
    },
  };
  const req = { method: 'GET', path: '/x', route: undefined };
  const host = { switchToHttp: () => ({ getResponse: () => res, getRequest: () => req }) } as unknown as ArgumentsHost;
  return { host, sent };
}

describe(ProblemDetailsFilter.name, () => {
  it('never rejects when recording the unhandled error fails (Nest does not await filters)', async () => {
    const sut = new ProblemDetailsFilter(() => {
      throw new Error('audit down');
    });
    const { host, sent } = fakeHost();
    await expect(sut.catch(new Error('boom'), host)).resolves.toBeUndefined();
    expect(sent).toHaveLength(1);
    expect(sent[0].status).toBe(500);
    expect(JSON.parse(sent[0].body)).toMatchObject({ code: 'internal_error' });
  });

  it('never rejects when the recording promise rejects', async () => {
    const sut = new ProblemDetailsFilter(() => Promise.reject(new Error('audit down')));
    const { host, sent } = fakeHost();
    await expect(sut.catch(new Error('boom'), host)).resolves.toBeUndefined();
    expect(sent[0].status).toBe(500);
  });

  it('still answers 500 problem+json when answering itself fails once', async () => {
    const sut = new ProblemDetailsFilter();
    const { host, sent } = fakeHost({ failFirstSend: true });
    await expect(sut.catch(new Error('boom'), host)).resolves.toBeUndefined();
    expect(sent).toEqual([{ status: 500, body: expect.stringContaining('"internal_error"') }]);
  });
});
