package ai.peft4j.api.peft;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.engine.ParameterStore;
import ai.peft4j.api.io.HostTensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The merge bookkeeping of one {@link PeftModel}, the same for every method: which merged
 * adapters changed each base tensor, and whether that tensor held the checkpoint's values before
 * the first of them (PEFT keeps {@code merged_adapters} per layer the same way). A method's merge
 * and unmerge only compute: they write merged and unmerged values with
 * {@link ParameterStore#replaceBase} through the store view this ledger hands them, and the view
 * records each write. When the last adapter merged into a tensor that was the checkpoint's is
 * unmerged, the view restores the checkpoint's values exactly ({@link ParameterStore#restoreBase})
 * instead of writing the method's inverse, which float rounding (or, for (IA)³, a division) would
 * leave slightly off.
 *
 * <pre>{@code
 * adapter.merge(ledger.merging("a", store), true);   // records the tensors "a" replaces
 * adapter.unmerge(ledger.unmerging("a", store));     // the last merge on a tensor restores it exactly
 * }</pre>
 *
 * <p>Not thread-safe: {@link PeftModel} calls it under its write lock.
 */
final class MergeLedger {
    /** One base tensor changed by merges. */
    private static final class Entry {
        final boolean checkpointBefore;
        final List<String> adapters = new ArrayList<>();

        Entry(boolean checkpointBefore) {
            this.checkpointBefore = checkpointBefore;
        }
    }

    private final Map<String, Entry> tensors = new HashMap<>();

    /**
     * The store for {@code adapter}'s merge: each base tensor it replaces is recorded as merged by
     * it. Replacing a tensor it is already merged into (a second merge of the same adapter) is
     * refused before anything changes on that tensor.
     */
    ParameterStore merging(String adapter, ParameterStore store) {
        Set<String> written = new HashSet<>();
        return new View(store) {
            @Override
            public void replaceBase(String key, HostTensor value) {
                Entry e = tensors.get(key);
                if (!written.contains(key) && e != null && e.adapters.contains(adapter)) {
                    throw new Peft4jException("adapter '" + adapter + "' is already merged into " + key + "; unmerge it before merging again");
                }
                if (e == null) {
                    e = new Entry(!store.isBaseReplaced(key));
                }
                store.replaceBase(key, value);
                tensors.putIfAbsent(key, e);
                if (written.add(key)) {
                    e.adapters.add(adapter);
                }
            }

            @Override
            public void restoreBase(String key) {
                store.restoreBase(key);
                tensors.remove(key); // the checkpoint's values again: no merge is left in it
            }
        };
    }

    /**
     * The store for {@code adapter}'s unmerge: the method's inverse is written, except into a tensor
     * that no other merged adapter changed and that was the checkpoint's before, which gets the
     * checkpoint's values back exactly.
     */
    ParameterStore unmerging(String adapter, ParameterStore store) {
        return new View(store) {
            @Override
            public void replaceBase(String key, HostTensor value) {
                if (lastOnCheckpoint(key)) {
                    store.restoreBase(key);
                } else {
                    store.replaceBase(key, value);
                }
            }

            @Override
            public void restoreBase(String key) {
                lastOnCheckpoint(key);
                store.restoreBase(key);
            }

            /** Removes the adapter from the tensor's record; true if no merge is left in it and it was the checkpoint's before them. */
            private boolean lastOnCheckpoint(String key) {
                Entry e = tensors.get(key);
                if (e == null || !e.adapters.remove(adapter) || !e.adapters.isEmpty()) {
                    return false;
                }
                tensors.remove(key);
                return e.checkpointBefore;
            }
        };
    }

    /** Drops what a merge that failed part-way recorded; its tensors no longer count as the checkpoint's. */
    void forget(String adapter) {
        for (Iterator<Entry> it = tensors.values().iterator(); it.hasNext(); ) {
            Entry e = it.next();
            e.adapters.remove(adapter);
            if (e.adapters.isEmpty()) {
                it.remove();
            }
        }
    }

    /** Forgets every merge: after {@code merge_and_unload} the merged values are the base. */
    void clear() {
        tensors.clear();
    }

    /** Passes everything to the store; the two views above override the base-tensor writes. */
    private abstract static class View implements ParameterStore {
        private final ParameterStore store;

        View(ParameterStore store) {
            this.store = store;
        }

        @Override
        public void put(String key, HostTensor value, boolean trainable) {
            store.put(key, value, trainable);
        }

        @Override
        public void update(String key, HostTensor value) {
            store.update(key, value);
        }

        @Override
        public HostTensor get(String key) {
            return store.get(key);
        }

        @Override
        public boolean contains(String key) {
            return store.contains(key);
        }

        @Override
        public void remove(String key) {
            store.remove(key);
        }

        @Override
        public Set<String> adapterKeys() {
            return store.adapterKeys();
        }

        @Override
        public Set<String> trainableKeys() {
            return store.trainableKeys();
        }

        @Override
        public void setTrainable(String key, boolean trainable) {
            store.setTrainable(key, trainable);
        }

        @Override
        public boolean isBaseReplaced(String key) {
            return store.isBaseReplaced(key);
        }
    }
}
