package ai.peft4j.api.peft;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.engine.ParameterStore;
import ai.peft4j.api.io.HostTensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A {@link ParameterStore} that a method's {@code create} writes into while an adapter is being
 * loaded: what it registers is kept here, on the host, and reaches the runtime's store only in
 * {@link #commit}, after the adapter file has been checked against it. A refused file therefore
 * never registers anything, and the runtime never uploads init values that the file replaces.
 * Reads fall through to the runtime's store (a TEXT-initialised prompt reads the embeddings).
 *
 * <pre>{@code
 * StagedParameterStore staged = new StagedParameterStore(runtime.parameters());
 * Adapter a = method.create(name, config, new AdapterContext(runtime, staged, seed, tokenizer));
 * // ... check the file against a.stateKeys() and a.stateShapes() ...
 * staged.commit(valuesByStoreKey);
 * }</pre>
 */
final class StagedParameterStore implements ParameterStore {
    private final ParameterStore target;
    private final Map<String, HostTensor> staged = new LinkedHashMap<>();
    private final Set<String> trainable = new LinkedHashSet<>();
    private final Map<String, Boolean> baseTrainable = new LinkedHashMap<>();

    StagedParameterStore(ParameterStore target) {
        this.target = target;
    }

    @Override
    public void put(String key, HostTensor value, boolean isTrainable) {
        if (target.contains(key)) {
            throw new Peft4jException("adapter parameter key '" + key + "' collides with "
                    + (target.adapterKeys().contains(key) ? "another adapter's parameter" : "a base weight"));
        }
        staged.put(key, value);
        if (isTrainable) {
            trainable.add(key);
        } else {
            trainable.remove(key);
        }
    }

    @Override
    public void update(String key, HostTensor value) {
        if (!staged.containsKey(key)) {
            throw new Peft4jException("no staged parameter '" + key + "' to update (an adapter being created changes only its own)");
        }
        staged.put(key, value);
    }

    @Override
    public HostTensor get(String key) {
        HostTensor t = staged.get(key);
        return t != null ? t : target.get(key);
    }

    @Override
    public boolean contains(String key) {
        return staged.containsKey(key) || target.contains(key);
    }

    @Override
    public void remove(String key) {
        staged.remove(key);
        trainable.remove(key);
    }

    @Override
    public Set<String> adapterKeys() {
        Set<String> all = new LinkedHashSet<>(target.adapterKeys());
        all.addAll(staged.keySet());
        return Collections.unmodifiableSet(all);
    }

    @Override
    public Set<String> trainableKeys() {
        Set<String> all = new LinkedHashSet<>(target.trainableKeys());
        all.addAll(trainable);
        baseTrainable.forEach((k, t) -> {
            if (t) {
                all.add(k);
            } else {
                all.remove(k);
            }
        });
        return Collections.unmodifiableSet(all);
    }

    @Override
    public void setTrainable(String key, boolean isTrainable) {
        if (staged.containsKey(key)) {
            if (isTrainable) {
                trainable.add(key);
            } else {
                trainable.remove(key);
            }
        } else if (target.contains(key)) {
            baseTrainable.put(key, isTrainable); // full fine-tuning marks base weights; applied on commit
        } else {
            throw new Peft4jException("no parameter '" + key + "'");
        }
    }

    @Override
    public void replaceBase(String key, HostTensor value) {
        throw new Peft4jException("an adapter being created cannot replace base weights (merging comes after loading)");
    }

    @Override
    public void restoreBase(String key) {
        throw new Peft4jException("an adapter being created cannot restore base weights");
    }

    @Override
    public boolean isBaseReplaced(String key) {
        return target.isBaseReplaced(key);
    }

    /**
     * Registers every staged parameter in the runtime's store, with the value in {@code values}
     * where given (the adapter file's) and the staged one otherwise. On failure, whatever was
     * registered is removed again and the error is rethrown.
     */
    void commit(Map<String, HostTensor> values) {
        List<String> done = new ArrayList<>();
        Map<String, Boolean> wasTrainable = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, HostTensor> e : staged.entrySet()) {
                HostTensor v = values.getOrDefault(e.getKey(), e.getValue());
                target.put(e.getKey(), v, trainable.contains(e.getKey()));
                done.add(e.getKey());
            }
            for (Map.Entry<String, Boolean> e : baseTrainable.entrySet()) {
                wasTrainable.put(e.getKey(), target.trainableKeys().contains(e.getKey()));
                target.setTrainable(e.getKey(), e.getValue());
            }
        } catch (RuntimeException e) {
            wasTrainable.forEach((k, t) -> {
                try {
                    target.setTrainable(k, t);
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            });
            done.forEach(target::remove);
            throw e;
        }
    }
}
