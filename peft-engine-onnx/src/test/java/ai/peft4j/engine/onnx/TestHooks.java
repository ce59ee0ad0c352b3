package ai.peft4j.engine.onnx;

import ai.peft4j.api.engine.DecoderRuntime;
import ai.peft4j.api.engine.ParameterStore;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.model.ForwardContext;
import ai.peft4j.api.model.HookSet;
import ai.peft4j.api.model.InputHook;
import ai.peft4j.api.model.LinearHook;
import ai.peft4j.api.model.LinearSite;
import ai.peft4j.api.ops.Ops;
import ai.peft4j.api.ops.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Hand-written adapters for the engine tests, built only from {@link Ops} calls the way the LoRA
 * and prompt-tuning plugins use them (the plugins live in other modules).
 */
final class TestHooks {
    private TestHooks() {}

    static String aKey(String adapter, LinearSite site) {
        return "lora." + adapter + "." + site.module() + ".A";
    }

    static String bKey(String adapter, LinearSite site) {
        return "lora." + adapter + "." + site.module() + ".B";
    }

    /** A LoRA-style hook: {@code y + sel * scale * ((dropout(x) · Aᵀ) · Bᵀ)}. */
    static LinearHook lora(String adapter, double scale) {
        return new LinearHook() {
            @Override
            public Tensor afterLinear(ForwardContext ctx, LinearSite site, Tensor x, Tensor y) {
                Ops ops = ctx.ops();
                Tensor delta = ops.linear(ops.linear(ops.dropout(x, 0.1), ops.param(aKey(adapter, site)), null),
                        ops.param(bKey(adapter, site)), null);
                delta = ops.scale(delta, scale);
                Tensor sel = ops.rowSelector(adapter);
                if (sel != null) {
                    delta = ops.mul(delta, sel);
                }
                return ops.add(y, delta);
            }
        };
    }

    /** Random LoRA tensors {@code A [r, in]}, {@code B [out, r]} for each site, keyed like {@link #aKey}. */
    static Map<String, HostTensor> loraTensors(String adapter, List<LinearSite> sites, int rank, long seed) {
        Random rnd = new Random(seed);
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (LinearSite s : sites) {
            out.put(aKey(adapter, s), random(rnd, 0.2, rank, s.inFeatures()));
            out.put(bKey(adapter, s), random(rnd, 0.2, s.outFeatures(), rank));
        }
        return out;
    }

    static HostTensor random(Random rnd, double std, long... shape) {
        HostTensor t = HostTensor.zeros(shape);
        for (int i = 0; i < t.data().length; i++) {
            t.data()[i] = (float) (rnd.nextGaussian() * std);
        }
        return t;
    }

    /** Puts tensors into a runtime's store and returns a hook set with the LoRA hook on those sites. */
    static HookSet installLora(DecoderRuntime rt, String adapter, List<LinearSite> sites, Map<String, HostTensor> tensors,
            double scale, HookSet.Builder into) {
        ParameterStore store = rt.parameters();
        tensors.forEach((k, v) -> store.put(k, v, false));
        LinearHook hook = lora(adapter, scale);
        for (LinearSite s : sites) {
            into.linear(s.module(), hook);
        }
        return into.build();
    }

    /** A prompt-tuning-style hook prepending {@code n} rows of {@code key} to the embeddings. */
    static InputHook softPrompt(String key, int n) {
        return new InputHook() {
            @Override
            public int prefixLength() {
                return n;
            }

            @Override
            public Tensor apply(ForwardContext ctx, Tensor embeddings) {
                Ops ops = ctx.ops();
                return ops.concatSeq(ops.broadcastBatch(ops.param(key)), embeddings);
            }
        };
    }
}
