package ai.peft4j.engine.pytorch;

import ai.peft4j.api.method.Adapter;
import ai.peft4j.api.method.AdapterContext;
import ai.peft4j.api.method.PeftConfig;
import ai.peft4j.api.method.PeftMethod;
import ai.peft4j.api.model.ForwardContext;
import ai.peft4j.api.model.HookSet;
import ai.peft4j.api.model.InputHook;
import ai.peft4j.api.model.LinearHook;
import ai.peft4j.api.model.LinearSite;
import ai.peft4j.api.io.HostTensor;
import ai.peft4j.api.ops.Ops;
import ai.peft4j.api.ops.Tensor;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Minimal test-only LoRA and prompt-tuning plugins, so the trainer's trace and resume tests run on
 * this branch before the real plugins (peft-lora, peft-prompt-tuning) merge. Registered only in
 * this module's test resources; delete them (and the services file) once this module's tests can
 * use the real plugins.
 */
final class StandInMethods {
    private StandInMethods() {}

    record LoraCfg(int r, double alpha, double dropout, List<String> targets) implements PeftConfig {
        @Override
        public String peftType() {
            return "LORA";
        }

        @Override
        public JsonObject toJson() {
            JsonObject o = new JsonObject();
            o.addProperty("peft_type", "LORA");
            o.addProperty("r", r);
            o.addProperty("lora_alpha", alpha);
            o.addProperty("lora_dropout", dropout);
            return o;
        }
    }

    /** LoRA: y + (dropout(x)·Aᵀ)·Bᵀ·alpha/r on the targeted linear sites. */
    public static final class Lora implements PeftMethod {
        @Override
        public String peftType() {
            return "LORA";
        }

        @Override
        public String name() {
            return "lora";
        }

        @Override
        public PeftConfig parseConfig(JsonObject json, String source) {
            List<String> targets = null;
            JsonElement t = json.get("target_modules");
            if (t != null && t.isJsonArray()) {
                targets = new ArrayList<>();
                for (JsonElement e : t.getAsJsonArray()) {
                    targets.add(e.getAsString());
                }
            }
            return new LoraCfg(json.has("r") ? json.get("r").getAsInt() : 8, json.has("lora_alpha") ? json.get("lora_alpha").getAsDouble() : 8,
                    json.has("lora_dropout") ? json.get("lora_dropout").getAsDouble() : 0, targets);
        }

        @Override
        public Adapter create(String name, PeftConfig config, AdapterContext ctx) {
            LoraCfg c = (LoraCfg) config;
            List<String> targets = c.targets() != null ? c.targets() : ctx.architecture().defaultLoraTargets(ctx.config());
            Map<String, String> keys = new LinkedHashMap<>();
            Map<String, long[]> shapes = new LinkedHashMap<>();
            HookSet.Builder hooks = HookSet.builder();
            List<Object[]> sites = new ArrayList<>();
            for (LinearSite s : ctx.linearSites()) {
                if (!targets.contains(s.shortName()) && !targets.contains(s.module())) {
                    continue;
                }
                String a = "base_model.model." + s.module() + ".lora_A.weight";
                String b = "base_model.model." + s.module() + ".lora_B.weight";
                String ka = AdapterContext.storeKey(name, a);
                String kb = AdapterContext.storeKey(name, b);
                float[] init = new float[c.r() * s.inFeatures()];
                double bound = 1 / Math.sqrt(s.inFeatures());
                for (int i = 0; i < init.length; i++) {
                    init[i] = (float) ((ctx.random().nextDouble() * 2 - 1) * bound);
                }
                ctx.store().put(ka, new HostTensor(new long[] {c.r(), s.inFeatures()}, init), true);
                ctx.store().put(kb, HostTensor.zeros(s.outFeatures(), c.r()), true);
                keys.put(a, ka);
                keys.put(b, kb);
                shapes.put(a, new long[] {c.r(), s.inFeatures()});
                shapes.put(b, new long[] {s.outFeatures(), c.r()});
                sites.add(new Object[] {s.module(), ka, kb});
            }
            double scale = c.alpha() / c.r();
            return new Adapter() {
                @Override
                public String name() {
                    return name;
                }

                @Override
                public PeftConfig config() {
                    return c;
                }

                @Override
                public Map<String, String> stateKeys() {
                    return keys;
                }

                @Override
                public Map<String, long[]> stateShapes() {
                    return shapes;
                }

                @Override
                public void addHooks(HookSet.Builder h, boolean perRow) {
                    for (Object[] s : sites) {
                        String ka = (String) s[1];
                        String kb = (String) s[2];
                        h.linear((String) s[0], new LinearHook() {
                            @Override
                            public Tensor afterLinear(ForwardContext fc, LinearSite site, Tensor x, Tensor y) {
                                Ops ops = fc.ops();
                                Tensor d = ops.linear(ops.linear(ops.dropout(x, c.dropout()), ops.param(ka), null), ops.param(kb), null);
                                return ops.add(y, ops.scale(d, scale));
                            }
                        });
                    }
                }
            };
        }
    }

    record PtCfg(int virtualTokens) implements PeftConfig {
        @Override
        public String peftType() {
            return "PROMPT_TUNING";
        }

        @Override
        public JsonObject toJson() {
            JsonObject o = new JsonObject();
            o.addProperty("peft_type", "PROMPT_TUNING");
            o.addProperty("num_virtual_tokens", virtualTokens);
            return o;
        }
    }

    /** Prompt tuning: a trainable [n, hidden] prefix before the token embeddings. */
    public static final class PromptTuning implements PeftMethod {
        @Override
        public String peftType() {
            return "PROMPT_TUNING";
        }

        @Override
        public String name() {
            return "prompt-tuning";
        }

        @Override
        public PeftConfig parseConfig(JsonObject json, String source) {
            return new PtCfg(json.has("num_virtual_tokens") ? json.get("num_virtual_tokens").getAsInt() : 8);
        }

        @Override
        public Adapter create(String name, PeftConfig config, AdapterContext ctx) {
            int n = ((PtCfg) config).virtualTokens();
            int h = ctx.config().hiddenSize();
            String key = AdapterContext.storeKey(name, "prompt_embeddings");
            float[] init = new float[n * h];
            for (int i = 0; i < init.length; i++) {
                init[i] = (float) ctx.random().nextGaussian();
            }
            ctx.store().put(key, new HostTensor(new long[] {n, h}, init), true);
            return new Adapter() {
                @Override
                public String name() {
                    return name;
                }

                @Override
                public PeftConfig config() {
                    return config;
                }

                @Override
                public Map<String, String> stateKeys() {
                    return Map.of("prompt_embeddings", key);
                }

                @Override
                public Map<String, long[]> stateShapes() {
                    return Map.of("prompt_embeddings", new long[] {n, h});
                }

                @Override
                public void addHooks(HookSet.Builder hooks, boolean perRow) {
                    hooks.input(new InputHook() {
                        @Override
                        public int prefixLength() {
                            return n;
                        }

                        @Override
                        public Tensor apply(ForwardContext fc, Tensor embeddings) {
                            Ops ops = fc.ops();
                            return ops.concatSeq(ops.broadcastBatch(ops.param(key)), embeddings);
                        }
                    });
                }
            };
        }
    }
}
