package ai.peft4j.api.train;

import ai.peft4j.api.engine.DecoderRuntime;
import ai.peft4j.api.engine.LossResult;
import ai.peft4j.api.engine.TrainBatch;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.model.HookSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Computes one micro-batch's loss and gradients, once more when the loss is finite but a
 * gradient is not: a real divergence repeats (and the trainer then stops the run), a transient
 * engine fault does not. The PyTorch engine had such a fault (autograd read scalars DJL had
 * freed; fixed in {@code PtOps.torchOwned}/{@code scalar}, with a regression test there).
 *
 * <p>Why it stays, as its own part: it is engine-agnostic and costs one scan of the gradients, it
 * serves every engine with the {@code TRAIN} capability (a plugin engine included), and each
 * recompute is logged and counted ({@link Trainer#recomputedMicroBatches}), so a fault does not go
 * unseen. Removing it would turn such a fault into a stopped run; moving it into one engine would
 * leave the others without it. It cannot catch gradients that are wrong but finite; the engine's
 * own tests must.
 *
 * <pre>{@code
 * NonFiniteGradientGuard guard = new NonFiniteGradientGuard();
 * LossResult r = guard.lossAndGradients(runtime, batch, hooks, seed, step);
 * }</pre>
 */
final class NonFiniteGradientGuard {
    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);
    private static final int RECOMPUTES = 2;

    private long recomputed;

    /** Reseeds the engine and computes the micro-batch, recomputing it (same seed) up to twice as described above. */
    LossResult lossAndGradients(DecoderRuntime runtime, TrainBatch batch, HookSet hooks, long seed, long stepNo) {
        runtime.setSeed(seed);
        LossResult r = runtime.lossAndGradients(batch, hooks, true);
        for (int attempt = 1; attempt <= RECOMPUTES && Double.isFinite(r.lossSum()) && !finite(r.gradients()); attempt++) {
            LOG.warn("step {}: finite loss but non-finite gradients ({}); computing the micro-batch again", stepNo,
                    describe(r.gradients()));
            recomputed++;
            runtime.setSeed(seed);
            r = runtime.lossAndGradients(batch, hooks, true);
        }
        return r;
    }

    /** How many micro-batches were computed again. */
    long recomputed() {
        return recomputed;
    }

    private static boolean finite(Map<String, HostTensor> grads) {
        for (HostTensor g : grads.values()) {
            for (float v : g.data()) {
                if (!Float.isFinite(v)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Which gradients hold NaN or Inf and how many of their elements, e.g. {@code "w: 3 NaN, 0 Inf of 64"}. */
    static String describe(Map<String, HostTensor> grads) {
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, HostTensor> e : grads.entrySet()) {
            int nan = 0;
            int inf = 0;
            float[] data = e.getValue().data();
            for (float v : data) {
                if (Float.isNaN(v)) {
                    nan++;
                } else if (Float.isInfinite(v)) {
                    inf++;
                }
            }
            if (nan + inf > 0) {
                parts.add(e.getKey() + ": " + nan + " NaN, " + inf + " Inf of " + data.length);
            }
        }
        int shown = Math.min(parts.size(), 5);
        return String.join("; ", parts.subList(0, shown)) + (parts.size() > shown ? "; " + (parts.size() - shown) + " more" : "");
    }

    /** The (at most five) parameters whose accumulated gradients hold NaN or Inf, for the divergence message. */
    static List<String> nonFinite(Map<String, float[]> grads) {
        List<String> bad = new ArrayList<>();
        for (Map.Entry<String, float[]> e : grads.entrySet()) {
            for (float v : e.getValue()) {
                if (!Float.isFinite(v)) {
                    bad.add(e.getKey());
                    break;
                }
            }
        }
        return bad.size() > 5 ? new ArrayList<>(bad.subList(0, 5)) : bad;
    }
}
