import { Injectable } from '@nestjs/common';
import type { MailVars } from './templates';

export interface MailAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
}

/** Makes a mail's attachment at send time from the outbox row's vars (e.g. a PDF from an id). */
export type MailAttachmentRenderer = (vars: MailVars, tenantId: string | null) => Promise<MailAttachment>;

/**
 * Attachments are not stored in the outbox: the lib that owns the file registers a renderer under an
 * id, and a template names that id. So the outbox holds ids only, and the file is made from the
 * source of truth when the mail is sent (libs/backup registers the deletion certificate PDF).
 */
@Injectable()
export class MailAttachmentRegistry {
  private readonly renderers = new Map<string, MailAttachmentRenderer>();

  register(id: string, renderer: MailAttachmentRenderer): void {
    this.renderers.set(id, renderer);
  }

  get(id: string): MailAttachmentRenderer | undefined {
    return this.renderers.get(id);
  }
}
