package ai.peft4j.engine.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.api.engine.KvCache;

/** Per-layer key/value arrays {@code [b, kvHeads, len, d]} held in the cache's own manager. */
final class PtKvCache implements KvCache {
    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private int length;

    PtKvCache(NDManager parent, int layers) {
        this.manager = parent.newSubManager();
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
    }

    @Override
    public int length() {
        return length;
    }

    /** The rows of the last layer's keys (set last in a forward), or -1 while empty. */
    @Override
    public int batch() {
        return length == 0 ? -1 : (int) keys[keys.length - 1].getShape().get(0);
    }

    NDArray key(int layer) {
        return keys[layer];
    }

    NDArray value(int layer) {
        return values[layer];
    }

    void set(int layer, NDArray k, NDArray v) {
        if (keys[layer] != null) {
            keys[layer].close();
            values[layer].close();
        }
        k.attach(manager);
        v.attach(manager);
        keys[layer] = k;
        values[layer] = v;
        if (layer == keys.length - 1) {
            length = (int) k.getShape().get(2);
        }
    }

    @Override
    public void reorder(int[] rows) {
        if (length == 0) {
            return;
        }
        try (NDArray idx = manager.create(toLong(rows))) {
            for (int l = 0; l < keys.length; l++) {
                NDArray k = keys[l].get(idx);
                NDArray v = values[l].get(idx);
                keys[l].close();
                values[l].close();
                k.attach(manager);
                v.attach(manager);
                keys[l] = k;
                values[l] = v;
            }
        }
    }

    private static long[] toLong(int[] a) {
        long[] r = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = a[i];
        }
        return r;
    }

    @Override
    public void close() {
        manager.close();
    }
}
