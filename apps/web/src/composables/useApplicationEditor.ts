import { computed, onBeforeUnmount, onMounted, reactive, ref, watch, type ComputedRef, type Ref } from 'vue';
import { onBeforeRouteLeave, onBeforeRouteUpdate } from 'vue-router';
import {
  ApiError,
  EDITABLE_STATUSES,
  api,
  type ApplicationDetail,
  type ApplicationForm,
  type FieldError,
  type Office,
  type Procedure,
  type UpdateApplicationRequest,
} from '@/api/client';
import { useAutosave, type Autosave } from '@/composables/useAutosave';
import { formFieldOf } from '@/utils/procedureSchema';

/** Quiet time after the last change before a draft is saved. */
export const AUTOSAVE_DELAY_MS = 2000;

/** What an answer about the application carries besides the form (which answers send masked). */
export type ServerView = Pick<ApplicationDetail, 'title' | 'version' | 'status' | 'updatedAt' | 'timeline' | 'attachments'> &
  Partial<Pick<ApplicationDetail, 'arriveId' | 'egovStatus' | 'failureReason' | 'egovNotices' | 'lastAction'>>;

export interface ApplicationEditorOptions {
  id: () => string;
  /** A (re)load replaced the page's copy: forget what was shown about the old one. */
  onFill?: () => void;
  /** Awaited before every save when it answers a promise (e.g. a check in flight whose version the save needs). */
  beforeSave?: () => Promise<unknown> | undefined;
  /** A refresh brought a new status (the moment e-Gov issues 公文書). */
  onStatusChange?: () => void;
  /** The page is in English (field errors of the saved draft are shown in its language). */
  english?: () => boolean;
  /** A save went through: what the page showed about the earlier form (a check's summary) may be stale now. */
  onSaved?: () => void;
  /** A refused save's field error in the user's language (useApiError's fieldMessage); the server's text otherwise. */
  fieldMessage?: (issue: FieldError) => string;
}

export interface ApplicationEditor {
  app: Ref<ApplicationDetail | null>;
  loading: Ref<boolean>;
  loadError: Ref<unknown>;
  procedures: Ref<Procedure[] | null>;
  offices: Ref<Office[]>;
  lookupError: Ref<unknown>;
  /** What the page shows; the server's copy may lag behind by one debounce. */
  form: ApplicationForm;
  title: Ref<string>;
  officeId: Ref<string>;
  /**
   * Errors of the last save, by field: what the saved draft holds as typed but
   * cannot use yet (the answer's fieldErrors), or why a save was refused.
   */
  saveErrors: Ref<Record<string, string>>;
  autosave: Autosave;
  procedure: ComputedRef<Procedure | null>;
  /** The procedure shown is not the version the application was made with. */
  otherVersion: ComputedRef<boolean>;
  load: () => Promise<void>;
  refreshDetail: () => Promise<void>;
  /** What the page knows changed by other means (an accepted action): refreshes started before count no more. */
  invalidateRefreshes: () => void;
  leaveOpen: Ref<boolean>;
  answerLeave: (leave: boolean) => void;
  /** Fields that still show the server's mask (a 個人番号 the user has not asked to see). */
  maskedFields: ComputedRef<string[]>;
  /** 表示 of one masked field: fetches the form unmasked (one audited event) and takes that field only. */
  reveal: (name: string) => Promise<void>;
  /** The last 表示 failed (the field keeps its mask). */
  revealError: Ref<unknown>;
}

/** The saved draft's field errors (text in a number field, …), by field, in the page's language. */
function fieldErrorsByName(list: ApplicationDetail['fieldErrors'] | undefined, en: boolean): Record<string, string> {
  const result: Record<string, string> = {};
  for (const e of list ?? []) {
    const key = formFieldOf(e.field);
    const message = (en && e.messageEn) || e.message;
    result[key] = result[key] ? `${result[key]} ${message}` : message;
  }
  return result;
}

/** Errors of a refused PATCH by field: `form.<name>` for the form, `title`/`officeId` for the rest. */
function errorsByField(error: unknown, message: (issue: FieldError) => string): Record<string, string> {
  const result: Record<string, string> = {};
  if (!(error instanceof ApiError)) return result;
  for (const e of error.errors) {
    const key = formFieldOf(e.field);
    const text = message(e);
    result[key] = result[key] ? `${result[key]} ${text}` : text;
  }
  return result;
}

/**
 * One application in the editor: loading it (個人番号 masked: the number is
 * fetched only when the user asks to see it, and the server audits each time) and
 * the procedures and offices it needs, autosaving the draft, taking the
 * server's news without its (masked) form, and the guard that saves or asks
 * before the page goes away.
 */
export function useApplicationEditor(options: ApplicationEditorOptions): ApplicationEditor {
  const app = ref<ApplicationDetail | null>(null);
  const loading = ref(false);
  const loadError = ref<unknown>(null);
  const procedures = ref<Procedure[] | null>(null);
  const offices = ref<Office[]>([]);
  const lookupError = ref<unknown>(null);
  const form = reactive<ApplicationForm>({});
  const title = ref('');
  const officeId = ref('');
  const saveErrors = ref<Record<string, string>>({});

  const autosave = useAutosave({
    delayMs: AUTOSAVE_DELAY_MS,
    save: saveNow,
    // Someone else changed it, it left the editable statuses, or it is gone:
    // saving again cannot succeed, the user has to reload first.
    isFatal: (error) => error instanceof ApiError && (error.status === 409 || error.status === 404),
  });

  const procedure = computed<Procedure | null>(() => {
    const a = app.value;
    if (!a || !procedures.value) return null;
    return (
      procedures.value.find((p) => p.code === a.procedureCode && p.version === a.procedureVersion) ??
      procedures.value.find((p) => p.code === a.procedureCode) ??
      null
    );
  });
  const otherVersion = computed(
    () => procedure.value !== null && app.value !== null && procedure.value.version !== app.value.procedureVersion,
  );

  // --- loading ---------------------------------------------------------------------

  /**
   * Bumped by every change of what the page knows about the application (load,
   * accepted action): a refresh that started before answers too late to count.
   */
  let detailGeneration = 0;

  function fill(detail: ApplicationDetail): void {
    app.value = detail;
    for (const key of Object.keys(form)) delete form[key];
    Object.assign(form, detail.form);
    title.value = detail.title;
    officeId.value = detail.officeId;
    saveErrors.value = fieldErrorsByName(detail.fieldErrors, options.english?.() === true);
    options.onFill?.();
    detailGeneration++;
    autosave.reset();
  }

  async function loadLookups(): Promise<void> {
    lookupError.value = null;
    const [p, o] = await Promise.allSettled([api.listProcedures(), api.listOffices()]);
    if (p.status === 'fulfilled') procedures.value = p.value.items;
    else lookupError.value = p.reason;
    if (o.status === 'fulfilled') offices.value = o.value.items;
  }

  async function load(): Promise<void> {
    loading.value = true;
    loadError.value = null;
    try {
      // Masked: opening an application is not seeing its 個人番号 (the server keeps an untouched mask on save).
      fill(await api.getApplication(options.id()));
    } catch (error) {
      app.value = null;
      loadError.value = error;
    } finally {
      loading.value = false;
    }
  }

  onMounted(() => {
    void loadLookups();
    void load();
  });

  watch(options.id, () => void load());

  /** Takes what the server says about the application, but never its form: answers carry it masked. */
  function applyServer(detail: ServerView): void {
    const current = app.value;
    if (!current) return;
    // An answer without the e-Gov fields (an older server) keeps what the page has.
    const keep = <K extends keyof ServerView>(key: K): ApplicationDetail[K] =>
      (detail[key] === undefined ? current[key] : detail[key]) as ApplicationDetail[K];
    app.value = {
      ...current,
      title: detail.title,
      version: detail.version,
      status: detail.status,
      updatedAt: detail.updatedAt,
      timeline: detail.timeline,
      attachments: detail.attachments,
      arriveId: keep('arriveId'),
      egovStatus: keep('egovStatus'),
      failureReason: keep('failureReason'),
      egovNotices: keep('egovNotices'),
      lastAction: keep('lastAction'),
    };
  }

  /** Takes the server's status, e-Gov state, history and attachments (never the form). */
  async function refreshDetail(): Promise<void> {
    const generation = ++detailGeneration;
    try {
      // The masked answer is enough: the form is not taken.
      const fresh = await api.getApplication(options.id());
      if (generation !== detailGeneration || app.value?.id !== fresh.id) return;
      const before = app.value.status;
      applyServer(fresh);
      if (before !== fresh.status) options.onStatusChange?.();
    } catch {
      // The page keeps what it has; the next poll or a reload brings the rest.
    }
  }

  // --- 個人番号 on request ---------------------------------------------------------------

  const revealError = ref<unknown>(null);
  const maskedFields = computed(() => {
    const loaded = app.value;
    if (!loaded?.masked) return [];
    // A field still holding the mask it was loaded with (the user neither asked to see it nor typed over it).
    return Object.keys(loaded.form).filter((name) => {
      const mask = loaded.form[name];
      return typeof mask === 'string' && mask.includes('*') && form[name] === mask;
    });
  });

  /** One request at a time: a second click while the first is on its way must not be a second audited view. */
  let revealing = false;

  async function reveal(name: string): Promise<void> {
    const id = app.value?.id;
    if (!id || revealing || !maskedFields.value.includes(name)) return;
    revealing = true;
    revealError.value = null;
    try {
      const clear = await api.getApplication(id, { unmask: true });
      // Only if the page still shows the same application and the mask: a value typed meanwhile wins.
      if (app.value?.id === id && maskedFields.value.includes(name) && clear.form[name] !== undefined) form[name] = clear.form[name];
    } catch (error) {
      revealError.value = error;
    } finally {
      revealing = false;
    }
  }

  // --- saving ----------------------------------------------------------------------

  async function saveNow(): Promise<void> {
    const wait = options.beforeSave?.();
    if (wait) await wait;
    const current = app.value;
    if (!current) return;
    try {
      const body: UpdateApplicationRequest = {
        version: current.version,
        title: title.value,
        // The whole form, also keys this page has no field for (another version of the schema).
        form: { ...form },
      };
      // Once submitted the office is fixed (the server answers office_locked to a change).
      if (EDITABLE_STATUSES.includes(current.status)) body.officeId = officeId.value;
      const saved = await api.updateApplication(current.id, body);
      applyServer(saved);
      saveErrors.value = fieldErrorsByName(saved.fieldErrors, options.english?.() === true);
      options.onSaved?.();
    } catch (error) {
      saveErrors.value = errorsByField(error, options.fieldMessage ?? ((e) => e.message));
      throw error;
    }
  }

  // --- unsaved changes -------------------------------------------------------------

  const leaveOpen = ref(false);
  let leaveAnswer: ((leave: boolean) => void) | null = null;

  /**
   * Before the page goes away: save what is pending; when that is not possible
   * (refused, conflict), ask whether to drop the changes.
   */
  async function mayLeave(): Promise<boolean> {
    if (!autosave.hasUnsaved.value) return true;
    if (autosave.state.value !== 'stopped' && (await autosave.flush())) return true;
    leaveOpen.value = true;
    return new Promise<boolean>((resolve) => {
      leaveAnswer = resolve;
    });
  }

  function answerLeave(leave: boolean): void {
    leaveOpen.value = false;
    leaveAnswer?.(leave);
    leaveAnswer = null;
  }

  onBeforeRouteLeave(() => mayLeave());
  onBeforeRouteUpdate((to, from) => (to.params.id !== from.params.id ? mayLeave() : true));

  /** Closing the tab or reloading: the browser asks (it shows its own text). */
  function onBeforeUnload(event: BeforeUnloadEvent): void {
    if (!autosave.hasUnsaved.value) return;
    event.preventDefault();
    // Older browsers need returnValue set.
    event.returnValue = '';
  }

  onMounted(() => window.addEventListener('beforeunload', onBeforeUnload));
  onBeforeUnmount(() => {
    window.removeEventListener('beforeunload', onBeforeUnload);
    // A pending question must not keep a navigation hanging.
    answerLeave(false);
  });

  return {
    app,
    loading,
    loadError,
    procedures,
    offices,
    lookupError,
    form,
    title,
    officeId,
    saveErrors,
    autosave,
    procedure,
    otherVersion,
    load,
    refreshDetail,
    invalidateRefreshes: () => {
      detailGeneration++;
    },
    leaveOpen,
    answerLeave,
    maskedFields,
    reveal,
    revealError,
  };
}
