package ai.peft4j.api.train;

import java.util.Collection;

/**
 * Global-norm gradient clipping, written by hand as {@code torch.nn.utils.clip_grad_norm_} does
 * it (DJL's {@code optClipGrad} clips element values, one side only): the L2 norm over every
 * gradient together, and, when it exceeds {@code maxNorm}, every gradient scaled by
 * {@code maxNorm / (norm + 1e-6)}.
 *
 * <pre>{@code
 * double norm = GradientClipping.clipGlobalNorm(grads.values(), 1.0);  // returns the norm before clipping
 * }</pre>
 */
public final class GradientClipping {
    private GradientClipping() {}

    /** The L2 norm over all arrays, in double; NaN or infinite if any element is. */
    public static double globalNorm(Collection<float[]> grads) {
        double sum = 0;
        for (float[] g : grads) {
            for (float x : g) {
                sum += (double) x * x;
            }
        }
        return Math.sqrt(sum);
    }

    /**
     * Scales the gradients in place so that their global norm is at most {@code maxNorm}
     * ({@code maxNorm <= 0} only measures). Returns the norm before clipping.
     */
    public static double clipGlobalNorm(Collection<float[]> grads, double maxNorm) {
        double norm = globalNorm(grads);
        if (maxNorm > 0 && Double.isFinite(norm)) {
            double coef = maxNorm / (norm + 1e-6);
            if (coef < 1.0) {
                float c = (float) coef;
                for (float[] g : grads) {
                    for (int i = 0; i < g.length; i++) {
                        g[i] *= c;
                    }
                }
            }
        }
        return norm;
    }
}
