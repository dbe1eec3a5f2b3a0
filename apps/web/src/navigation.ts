import type { Router } from 'vue-router';

/** Back within the app when there is somewhere to go back to; otherwise (a page opened directly) to `fallback`. */
export function goBack(router: Router, fallback: string): void {
  const state = window.history.state as { back?: unknown } | null;
  if (state && typeof state.back === 'string') router.back();
  else void router.replace(fallback);
}
