import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentPrincipal, IdParam, Principal, Roles, tenantOf } from '@charlotte/core';
import {
  CreatedWebhookDto,
  CreateWebhookDto,
  DeliveryListQuery,
  DeliveryParams,
  UpdateWebhookDto,
  WebhookDeliveryDto,
  WebhookDeliveryListDto,
  WebhookDto,
  WebhookListDto,
  WebhookPingDto,
} from './dto/webhook.dto';
import { WebhooksService } from './webhooks.service';

const ID = { name: 'id', format: 'uuid', description: 'Webhook の ID / the webhook' } as const;

/** Tenant administrators manage webhooks (session only: an API token cannot point deliveries elsewhere). */
@ApiTags('webhooks')
@ApiCookieAuth()
@Roles('admin')
@Controller('webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get()
  @ApiOperation({ summary: 'Webhook 一覧 / List webhooks', description: 'テナントの Webhook の一覧です。\n\nThe webhooks of the tenant.' })
  @ApiOkResponse({ type: WebhookListDto })
  list(@CurrentPrincipal() p: Principal): Promise<WebhookListDto> {
    return this.webhooks.list(tenantOf(p));
  }

  @Post()
  @ApiOperation({
    summary: 'Webhook の登録 / Create a webhook',
    description:
      'https の URL（公開アドレスに解決されるもの）と通知するイベントを登録します。署名用シークレットはこの応答でのみ表示されます。\n\n' +
      'Registers an https URL (resolving to public addresses only) and the events to deliver. The signing secret is in this answer only. ' +
      '422 webhook_url_not_allowed for http://, credentials in the URL, or a host resolving to a private, loopback or link-local address.',
  })
  @ApiCreatedResponse({ type: CreatedWebhookDto })
  create(@CurrentPrincipal() p: Principal, @Body() dto: CreateWebhookDto): Promise<CreatedWebhookDto> {
    return this.webhooks.create(tenantOf(p), p.userId, dto);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Webhook の詳細 / Get a webhook', description: 'シークレットは含みません。\n\nWithout the secret.' })
  @ApiParam(ID)
  @ApiOkResponse({ type: WebhookDto })
  get(@CurrentPrincipal() p: Principal, @Param() { id }: IdParam): Promise<WebhookDto> {
    return this.webhooks.get(tenantOf(p), id);
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Webhook の変更・再有効化 / Update or re-enable a webhook',
    description:
      'URL・イベント・メモを変更し、status で無効化・再有効化します。無効化すると未送信の配信は送信されません。\n\n' +
      'Changes the URL, events or note; status disables or re-enables it. Disabling gives up its pending deliveries.',
  })
  @ApiParam(ID)
  @ApiOkResponse({ type: WebhookDto })
  update(@CurrentPrincipal() p: Principal, @Param() { id }: IdParam, @Body() dto: UpdateWebhookDto): Promise<WebhookDto> {
    return this.webhooks.update(tenantOf(p), id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Webhook の削除 / Delete a webhook', description: '配信履歴も削除されます。\n\nIts delivery log goes with it.' })
  @ApiParam(ID)
  @ApiNoContentResponse({ description: 'Deleted.' })
  remove(@CurrentPrincipal() p: Principal, @Param() { id }: IdParam): Promise<void> {
    return this.webhooks.remove(tenantOf(p), id);
  }

  @Post(':id/ping')
  @HttpCode(200)
  @ApiOperation({
    summary: 'テスト送信 / Send a test event',
    description:
      '種類 ping のイベントをすぐに 1 回だけ送信し、結果を配信履歴に残します（再送はしません）。\n\n' +
      'Sends one event of type ping now, once (no retries), and logs it with the deliveries.',
  })
  @ApiParam(ID)
  @ApiOkResponse({ type: WebhookPingDto })
  ping(@CurrentPrincipal() p: Principal, @Param() { id }: IdParam): Promise<WebhookPingDto> {
    return this.webhooks.ping(tenantOf(p), id);
  }

  @Get(':id/deliveries')
  @ApiOperation({
    summary: '配信履歴 / Delivery log',
    description:
      '新しい順の配信履歴です（応答コード、エラーの種類、応答時間。30 日間保存）。\n\n' +
      'Newest first, with the response code, error class and response time of the last attempt (kept 30 days).',
  })
  @ApiParam(ID)
  @ApiOkResponse({ type: WebhookDeliveryListDto })
  deliveries(@CurrentPrincipal() p: Principal, @Param() { id }: IdParam, @Query() q: DeliveryListQuery): Promise<WebhookDeliveryListDto> {
    return this.webhooks.deliveries(tenantOf(p), id, q);
  }

  @Post(':id/deliveries/:did/redeliver')
  @HttpCode(202)
  @ApiOperation({
    summary: '再送 / Redeliver',
    description:
      '同じイベント（同じ ID・本文、新しい署名）を新しい配信として送信します。無効な Webhook には 409 webhook_disabled を返します。\n\n' +
      'Queues the same event (same id and body, a fresh signature) as a new delivery; 409 webhook_disabled while the webhook is disabled.',
  })
  @ApiParam(ID)
  @ApiParam({ name: 'did', format: 'uuid', description: '配信の ID / the delivery' })
  @ApiAcceptedResponse({ type: WebhookDeliveryDto })
  redeliver(@CurrentPrincipal() p: Principal, @Param() { id, did }: DeliveryParams): Promise<WebhookDeliveryDto> {
    return this.webhooks.redeliver(tenantOf(p), id, did);
  }
}
