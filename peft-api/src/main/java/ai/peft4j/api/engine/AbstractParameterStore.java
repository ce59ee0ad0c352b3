package ai.peft4j.api.engine;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.checkpoint.Checkpoint;
import ai.peft4j.api.io.HostTensor;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The bookkeeping every engine's {@link ParameterStore} shares: adapter parameters, base weights
 * replaced by a merge or made trainable, the trainable set, and the checks and messages around
 * them. An engine supplies how a host tensor becomes its own value and back, and what to refresh
 * when something changes.
 *
 * <pre>{@code
 * final class Store extends AbstractParameterStore<HostTensor> {
 *   Store(Checkpoint c) { super(c); }
 *   protected HostTensor upload(String key, HostTensor v) { return v.copy(); }
 *   protected HostTensor download(String key, HostTensor v) { return v.copy(); }
 * }
 * }</pre>
 *
 * @param <T> the engine's representation of a tensor
 */
public abstract class AbstractParameterStore<T> implements ParameterStore {
    protected final Checkpoint checkpoint;
    private final Map<String, T> adapters = new ConcurrentHashMap<>();
    private final Map<String, T> replaced = new ConcurrentHashMap<>();
    private final Set<String> trainable = ConcurrentHashMap.newKeySet();

    protected AbstractParameterStore(Checkpoint checkpoint) {
        this.checkpoint = checkpoint;
    }

    /** The engine's own copy of a host tensor. */
    protected abstract T upload(String key, HostTensor value);

    /** A host copy of an engine value. */
    protected abstract HostTensor download(String key, T value);

    /** Frees an engine value that is no longer stored; nothing by default. */
    protected void release(String key, T value) {}

    /** Called after an adapter parameter was added, changed or removed. */
    protected void adapterChanged(String key) {}

    /** Called after a base weight was replaced or restored. */
    protected void baseChanged(String key) {}

    /** Runs a change so that no forward sees it half done; runs it directly by default. */
    protected void exclusively(Runnable change) {
        change.run();
    }

    /** A host copy of a checkpoint weight. */
    protected HostTensor readBase(String key) {
        return checkpoint.readHost(key);
    }

    /** The engine value of an adapter parameter, or null. */
    public final T adapterValue(String key) {
        return adapters.get(key);
    }

    /** The engine value replacing a base weight, or null. */
    public final T replacedValue(String key) {
        return replaced.get(key);
    }

    @Override
    public void put(String key, HostTensor value, boolean isTrainable) {
        if (checkpoint.contains(key)) {
            throw new Peft4jException("adapter parameter key '" + key + "' collides with a base weight");
        }
        exclusively(() -> {
            T old = adapters.put(key, upload(key, value));
            if (old != null) {
                release(key, old);
            }
            if (isTrainable) {
                trainable.add(key);
            } else {
                trainable.remove(key);
            }
            adapterChanged(key);
        });
    }

    @Override
    public void update(String key, HostTensor value) {
        if (adapters.containsKey(key)) {
            put(key, value, trainable.contains(key));
        } else if (replaced.containsKey(key)) {
            boolean wasTrainable = trainable.contains(key);
            replaceBase(key, value);
            if (wasTrainable) {
                trainable.add(key);
            }
        } else {
            throw new Peft4jException("no trainable parameter '" + key + "' to update");
        }
    }

    @Override
    public HostTensor get(String key) {
        T a = adapters.get(key);
        if (a != null) {
            return download(key, a);
        }
        T r = replaced.get(key);
        if (r != null) {
            return download(key, r);
        }
        if (!checkpoint.contains(key)) {
            throw new Peft4jException("no parameter '" + key + "'");
        }
        return readBase(key);
    }

    @Override
    public boolean contains(String key) {
        return adapters.containsKey(key) || checkpoint.contains(key);
    }

    @Override
    public void remove(String key) {
        exclusively(() -> {
            T old = adapters.remove(key);
            trainable.remove(key);
            if (old != null) {
                release(key, old);
                adapterChanged(key);
            }
        });
    }

    @Override
    public Set<String> adapterKeys() {
        return Collections.unmodifiableSet(new TreeSet<>(adapters.keySet()));
    }

    @Override
    public Set<String> trainableKeys() {
        return Collections.unmodifiableSet(new TreeSet<>(trainable));
    }

    @Override
    public void setTrainable(String key, boolean isTrainable) {
        if (!contains(key)) {
            throw new Peft4jException("no parameter '" + key + "'");
        }
        if (isTrainable && !adapters.containsKey(key) && !replaced.containsKey(key)) {
            // A trainable base weight needs a writable copy of its own, not the read-only file.
            replaceBase(key, get(key));
        }
        if (isTrainable) {
            trainable.add(key);
        } else {
            trainable.remove(key);
        }
    }

    @Override
    public void replaceBase(String key, HostTensor value) {
        if (!checkpoint.contains(key)) {
            throw new Peft4jException("no base weight '" + key + "'");
        }
        long[] expected = checkpoint.info(key).shape();
        if (!Arrays.equals(expected, value.shape())) {
            throw new Peft4jException("base weight '" + key + "' has shape " + Arrays.toString(expected)
                    + ", replacement has " + Arrays.toString(value.shape()));
        }
        exclusively(() -> {
            T old = replaced.put(key, upload(key, value));
            if (old != null) {
                release(key, old);
            }
            baseChanged(key);
        });
    }

    @Override
    public void restoreBase(String key) {
        exclusively(() -> {
            trainable.remove(key);
            T old = replaced.remove(key);
            if (old != null) {
                release(key, old);
                baseChanged(key);
            }
        });
    }

    @Override
    public boolean isBaseReplaced(String key) {
        return replaced.containsKey(key);
    }
}
