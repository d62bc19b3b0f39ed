/** Sealing purposes of a 依頼 (part of each ciphertext's associated data; record id = request id). */
export const PURPOSE = {
  requestTitle: 'client_request.title',
  requestBody: 'client_request.body',
} as const;
