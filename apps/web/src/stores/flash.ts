import { ref } from 'vue';
import { defineStore } from 'pinia';

export interface FlashMessage {
  /** i18n key, translated when shown so that a language switch applies. */
  key: string;
  kind: 'error' | 'info';
  /** The route path the message belongs to; it disappears when the user leaves it. */
  path: string;
}

/** A one-shot message carried across a redirect (e.g. "no permission"). */
export const useFlashStore = defineStore('flash', () => {
  const message = ref<FlashMessage | null>(null);

  function show(key: string, path: string, kind: FlashMessage['kind'] = 'info'): void {
    message.value = { key, kind, path };
  }

  function dismiss(): void {
    message.value = null;
  }

  return { message, show, dismiss };
});
