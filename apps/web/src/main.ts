import { createApp } from 'vue';
import { showToast } from 'vant';
import App from './App.vue';
import { onSessionExpired } from './api';
import { errors } from './messages';
import { loginRoute, router } from './router';
import { clearSession } from './session';
import './styles';

// A request that is still 401 after a refresh means the session ended while the page was open.
onSessionExpired(() => {
  clearSession();
  const current = router.currentRoute.value;
  if (current.meta.requiresAuth) {
    showToast(errors.sessionExpired);
    void router.replace(loginRoute(current.fullPath));
  }
});

createApp(App).use(router).mount('#app');
