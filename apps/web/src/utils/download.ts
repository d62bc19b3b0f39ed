/**
 * Offers a JSON document for download without a round trip: a Blob URL on an
 * `<a download>` that is clicked once. The URL is returned so that the page
 * can keep a visible link for downloading again; revoke it with
 * {@link releaseDownloadUrl} when the page goes away.
 */
export function downloadJson(fileName: string, data: unknown): string {
  return downloadBlob(fileName, new Blob([JSON.stringify(data, null, 2) + '\n'], { type: 'application/json' }));
}

export function releaseDownloadUrl(url: string | null | undefined): void {
  if (url) URL.revokeObjectURL(url);
}

/**
 * Offers a file the SPA fetched itself (e.g. with an Accept header a plain
 * link cannot send) for download, as {@link downloadJson} does; the URL is
 * returned for {@link releaseDownloadUrl}.
 */
export function downloadBlob(fileName: string, blob: Blob): string {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.rel = 'noopener';
  link.style.display = 'none';
  document.body.appendChild(link);
  try {
    link.click();
  } finally {
    link.remove();
  }
  return url;
}
