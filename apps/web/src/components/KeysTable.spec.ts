import { describe, expect, it } from 'vitest';
import { mount } from '@vue/test-utils';
import { h } from 'vue';
import KeysTable from '@/components/KeysTable.vue';

interface Row {
  id: string;
  name: string;
  revokedAt: string | null;
}

function mountTable(rows: Row[], extra: { loading?: boolean; loadError?: unknown } = {}) {
  return mount(KeysTable<Row>, {
    props: {
      rows,
      rowKey: (r: Row) => r.id,
      rowAttrs: (r: Row) => ({ 'data-testid': 'row', 'data-id': r.id }),
      caption: 'keys of someone',
      columns: ['Name', 'Actions'],
      loading: extra.loading ?? false,
      loadError: extra.loadError ?? null,
      emptyText: 'none yet',
      testPrefix: 'things',
      revokeLabel: 'Revoke',
      revokeAriaLabel: (r: Row) => `Revoke ${r.name}`,
      revokeTestId: 'thing-revoke',
      revokeDisabled: (r: Row) => r.id === 'busy',
    },
    slots: { row: ({ row }: { row: Row }) => h('th', { scope: 'row' }, row.name) },
  });
}

describe('KeysTable', () => {
  it('renders a row per credential with a revoke button for the valid ones only', async () => {
    const w = mountTable([
      { id: 'a', name: 'office PC', revokedAt: null },
      { id: 'busy', name: 'laptop', revokedAt: null },
      { id: 'c', name: 'old', revokedAt: '2026-01-01T00:00:00Z' },
    ]);
    expect(w.get('[data-testid="things-table"] caption').text()).toBe('keys of someone');
    expect(w.findAll('thead th').map((th) => th.text())).toEqual(['Name', 'Actions']);
    const rows = w.findAll('[data-testid="row"]');
    expect(rows.map((r) => r.attributes('data-id'))).toEqual(['a', 'busy', 'c']);
    expect(rows[2]!.find('[data-testid="thing-revoke"]').exists()).toBe(false);
    expect(rows[1]!.get('[data-testid="thing-revoke"]').attributes('disabled')).toBeDefined();
    await rows[0]!.get('[data-testid="thing-revoke"]').trigger('click');
    expect(rows[0]!.get('[data-testid="thing-revoke"]').attributes('aria-label')).toBe('Revoke office PC');
    expect(w.emitted('revoke')).toEqual([[{ id: 'a', name: 'office PC', revokedAt: null }]]);
  });

  it('says the list is empty only once it loaded without error', async () => {
    expect(mountTable([], { loading: true }).find('[data-testid="things-empty"]').exists()).toBe(false);
    expect(
      mountTable([], { loadError: new Error('x') })
        .find('[data-testid="things-empty"]')
        .exists(),
    ).toBe(false);
    const empty = mountTable([]).get('[data-testid="things-empty"]');
    expect(empty.text()).toBe('none yet');
    expect(empty.attributes('colspan')).toBe('2');
  });
});
