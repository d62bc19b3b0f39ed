import { useI18n } from 'vue-i18n';
import { isApplicationStatus } from '@/api/client';

/** An application status in words; a status this SPA does not know (a newer server) as it is. */
export function useStatusLabel(): (status: string | null | undefined) => string {
  const { t } = useI18n();
  return (status) => {
    if (!status) return '';
    return isApplicationStatus(status) ? t(`appStatus.${status}`) : status;
  };
}
