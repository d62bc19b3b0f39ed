/**
 * Every sealing purpose of libs/applications, in one place. The purpose is part of the associated
 * data of each ciphertext (tenant, purpose, record id), so a value sealed for one column cannot be
 * opened as another: a typo here would make data unreadable, which is why nobody spells them twice.
 * Other libs read these values through the ApplicationStore and AttachmentsService, never by name.
 */
export const PURPOSE = {
  applicationTitle: 'application.title',
  applicationForm: 'application.form',
  office: 'office',
  attachment: 'attachment',
  attachmentName: 'attachment.name',
  clientName: 'client.name',
  clientNotes: 'client.notes',
} as const;
