/**
 * Saves text the backend produced as a file, in the browser or the Electron window alike: a Blob URL
 * on a temporary link (nothing is fetched from anywhere), revoked once the download has started.
 */
export function downloadText(fileName: string, mimeType: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: mimeType }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.rel = 'noopener';
  link.style.display = 'none';
  document.body.appendChild(link);
  link.click();
  link.remove();
  // The click starts the download synchronously; revoking on the next turn keeps the URL alive for it.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
