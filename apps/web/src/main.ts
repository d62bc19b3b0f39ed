import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from '@/App.vue';
import { createAppI18n } from '@/i18n';
import { createAppRouter } from '@/router';
import { api } from '@/api/client';
import { useSessionStore } from '@/stores/session';
import { applyDocumentLocale } from '@/composables/useLocale';
import '@/styles.css';

const app = createApp(App);
const pinia = createPinia();
const i18n = createAppI18n();
const router = createAppRouter();

app.use(pinia);
app.use(i18n);
app.use(router);
applyDocumentLocale(i18n.global.locale.value);

// A call that answers 401 while we believed we were logged in means the
// session expired (idle timeout) or was revoked: back to the login page,
// returning here afterwards.
api.onUnauthenticated = () => {
  const session = useSessionStore(pinia);
  if (!session.isAuthenticated) return;
  session.clear();
  const current = router.currentRoute.value;
  if (!current.meta.public) {
    void router.replace({ name: 'login', query: { redirect: current.fullPath, reason: 'expired' } });
  }
};

// The tenant's contract ended (解約) while the session was open: the session
// is over; the login page says why.
api.onContractCancelled = () => {
  const session = useSessionStore(pinia);
  if (!session.isAuthenticated) return;
  session.clear();
  void router.replace({ name: 'login', query: { reason: 'contract_cancelled' } });
};

app.mount('#app');
