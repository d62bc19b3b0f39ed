import { Injectable } from '@nestjs/common';
import { ClientAccessService, ClientsService } from '@charlotte/applications';
import { AuditService } from '@charlotte/audit';
import { CreatedUserView, UsersService, UserView } from '@charlotte/auth';
import { Principal } from '@charlotte/core';
import { PortalErrors } from '../errors';
import { InviteClientUserDto } from './dto/client-user.dto';

/**
 * The users of a 顧問先's portal (role client). Invited by a tenant admin or by staff with the
 * `offices` right on that client (the staff who manage the client's 事業所 also manage who of the
 * client logs in); listed by anyone of the office who sees the client. Another client's or another
 * tenant's id answers 404 (ClientsService.get applies the one visibility policy).
 */
@Injectable()
export class ClientUsersService {
  constructor(
    private readonly clients: ClientsService,
    private readonly access: ClientAccessService,
    private readonly users: UsersService,
    private readonly audit: AuditService,
  ) {}

  async invite(tenantId: string, p: Principal, clientId: string, dto: InviteClientUserDto): Promise<CreatedUserView> {
    const client = await this.clients.get(tenantId, p, clientId);
    (await this.access.of(p)).require(clientId, 'offices');
    if (!client.portalEnabled) throw PortalErrors.portalOff();
    const { user, invitation } = await this.users.createClientUser(tenantId, clientId, dto);
    await this.audit.record({
      category: 'operation',
      action: 'client_user.invited',
      outcome: 'success',
      tenantId,
      target: { type: 'user', id: user.id },
      details: { clientId },
    });
    return {
      ...UserView.of(user),
      ...(invitation ? { invitation: { url: invitation.url, expiresAt: invitation.expiresAt.toISOString() } } : {}),
    };
  }

  async list(tenantId: string, p: Principal, clientId: string): Promise<UserView[]> {
    await this.clients.get(tenantId, p, clientId);
    return (await this.users.listByClient(tenantId, clientId)).map(UserView.of);
  }
}
