import { reactive } from 'vue';
import { applicationsApi, type NotificationItem } from './applications';

interface NotificationState {
  items: NotificationItem[];
  unread: number;
  loaded: boolean;
}

/** The signed-in person's messages; the tab bar shows `unread` as a badge. */
export const notifications = reactive<NotificationState>({ items: [], unread: 0, loaded: false });

let pending: Promise<void> | undefined;

/** Fetches the messages (one request at a time); failures leave the last known state. */
export function refreshNotifications(): Promise<void> {
  pending ??= applicationsApi
    .notifications()
    .then((page) => {
      notifications.items = page.items;
      notifications.unread = page.unread;
      notifications.loaded = true;
    })
    .finally(() => {
      pending = undefined;
    });
  return pending;
}

export async function markNotificationRead(item: NotificationItem): Promise<void> {
  if (item.readAt) return;
  await applicationsApi.markRead(item.id);
  const stored = notifications.items.find((candidate) => candidate.id === item.id);
  if (stored && !stored.readAt) {
    stored.readAt = new Date().toISOString();
    notifications.unread = Math.max(0, notifications.unread - 1);
  }
}

export function clearNotifications(): void {
  notifications.items = [];
  notifications.unread = 0;
  notifications.loaded = false;
}
