import type { ArgumentsHost } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { SamlRejection } from './saml-checks';
import type { SamlLoginService } from './saml-login.service';
import { SamlRejectionFilter } from './saml.controller';

/**
 * The refusal filter must never reject (Nest neither awaits nor catches an
 * async filter: a rejection stopped the process, issue 13 finding 1), must
 * always answer, and must always leave an audit trace.
 */
describe(SamlRejectionFilter.name, () => {
  function fakeResponse() {
    const res = {
      headersSent: false,
      statusCode: 0,
      body: '',
      status(code: number) {
        res.statusCode = code;
        return res;
      },
      setHeader() {
        return res;
      },
      type() {
        return res;
      },
      send(body: string) {
        res.body = body;
        res.headersSent = true;
        return res;
      },
    };
    return res;
  }
  const hostFor = (res: ReturnType<typeof fakeResponse>) =>
    ({ switchToHttp: () => ({ getRequest: () => ({}), getResponse: () => res }) }) as unknown as ArgumentsHost;

  beforeEach(() => jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  it('answers the refusal page after recording the event', async () => {
    const login = { refusalAudit: jest.fn().mockResolvedValue(undefined), refusalAuditFallback: jest.fn() };
    const sut = new SamlRejectionFilter(login as unknown as SamlLoginService);
    const res = fakeResponse();
    await sut.catch(new SamlRejection('invalid_signature'), hostFor(res));
    expect(res.statusCode).toBe(401);
    expect(res.body).toContain('<code id="reason">invalid_signature</code>');
    expect(login.refusalAudit).toHaveBeenCalledTimes(1);
    expect(login.refusalAuditFallback).not.toHaveBeenCalled();
  });

  it('records a fallback event without details and still answers when the event is refused', async () => {
    const login = {
      refusalAudit: jest.fn().mockRejectedValue(new Error('audit details must not carry personal data')),
      refusalAuditFallback: jest.fn().mockResolvedValue(undefined),
    };
    const sut = new SamlRejectionFilter(login as unknown as SamlLoginService);
    const res = fakeResponse();
    await expect(sut.catch(new SamlRejection('status_not_success'), hostFor(res))).resolves.toBeUndefined();
    expect(res.statusCode).toBe(401);
    expect(login.refusalAuditFallback).toHaveBeenCalledTimes(1);
  });

  it('never rejects, even when the fallback and the answer fail too', async () => {
    const login = {
      refusalAudit: jest.fn().mockRejectedValue(new Error('database down')),
      refusalAuditFallback: jest.fn().mockRejectedValue(new Error('database down')),
    };
    const sut = new SamlRejectionFilter(login as unknown as SamlLoginService);
    const res = fakeResponse();
    res.send = () => {
      throw new Error('socket closed');
    };
    await expect(sut.catch(new SamlRejection('expired'), hostFor(res))).resolves.toBeUndefined();
    expect(Logger.prototype.error).toHaveBeenCalled();
  });

  it('does not write a second answer when one was already sent', async () => {
    const login = { refusalAudit: jest.fn().mockResolvedValue(undefined), refusalAuditFallback: jest.fn() };
    const sut = new SamlRejectionFilter(login as unknown as SamlLoginService);
    const res = fakeResponse();
    res.headersSent = true;
    const send = jest.spyOn(res, 'send');
    await sut.catch(new SamlRejection('expired'), hostFor(res));
    expect(send).not.toHaveBeenCalled();
  });
});
