package ai.peft4j.api.arch;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.model.Architecture;
import ai.peft4j.api.model.DecoderConfig;
import ai.peft4j.api.model.ForwardContext;
import ai.peft4j.api.model.LinearSite;
import ai.peft4j.api.ops.Activation;
import ai.peft4j.api.ops.Ops;
import ai.peft4j.api.ops.RotarySpec;
import ai.peft4j.api.ops.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Llama and the families that share its block ({@code llama}, {@code mistral}, {@code qwen2}):
 * RMSNorm, rotate-half rotary, SwiGLU and grouped-query attention, with an optional untied head.
 * Qwen2 adds q/k/v biases; Mistral's sliding window is honoured while the sequence fits in it.
 *
 * <pre>{@code
 * Architecture llama = Architectures.forConfig(DecoderConfig.load(dir.resolve("config.json")));
 * }</pre>
 */
public final class LlamaArchitecture implements Architecture {
    private static final String P = "model.";

    @Override
    public Set<String> modelTypes() {
        return Set.of("llama", "mistral", "qwen2");
    }

    @Override
    public void validate(DecoderConfig cfg) {
        DecoderBlocks.rotary(cfg, cfg.rotaryDim(), false);
        Activation.fromHf(cfg.activation());
    }

    private boolean qkvBias(DecoderConfig cfg) {
        return cfg.modelType().equals("qwen2") || cfg.attentionBias();
    }

    private boolean outBias(DecoderConfig cfg) {
        return !cfg.modelType().equals("qwen2") && cfg.attentionBias();
    }

    @Override
    public Map<String, long[]> weightShapes(DecoderConfig cfg) {
        Map<String, long[]> m = new LinkedHashMap<>();
        int h = cfg.hiddenSize();
        m.put(P + "embed_tokens.weight", new long[] {cfg.vocabSize(), h});
        for (int i = 0; i < cfg.numLayers(); i++) {
            m.put(P + "layers." + i + ".input_layernorm.weight", new long[] {h});
            m.put(P + "layers." + i + ".post_attention_layernorm.weight", new long[] {h});
        }
        for (LinearSite s : linearSites(cfg)) {
            DecoderBlocks.put(m, s);
        }
        m.put(P + "norm.weight", new long[] {h});
        if (!cfg.tieWordEmbeddings()) {
            m.put("lm_head.weight", new long[] {cfg.vocabSize(), h});
        }
        return m;
    }

    @Override
    public List<LinearSite> layerSites(DecoderConfig cfg, int i) {
        int h = cfg.hiddenSize();
        int q = cfg.numHeads() * cfg.headDim();
        int kv = cfg.numKvHeads() * cfg.headDim();
        int inter = cfg.intermediateSize();
        boolean mlpBias = cfg.flag("mlp_bias", false);
        List<LinearSite> sites = new ArrayList<>();
        String a = P + "layers." + i + ".self_attn.";
        String f = P + "layers." + i + ".mlp.";
        sites.add(DecoderBlocks.site(a + "q_proj", qkvBias(cfg), h, q, false, i));
        sites.add(DecoderBlocks.site(a + "k_proj", qkvBias(cfg), h, kv, false, i));
        sites.add(DecoderBlocks.site(a + "v_proj", qkvBias(cfg), h, kv, false, i));
        sites.add(DecoderBlocks.site(a + "o_proj", outBias(cfg), q, h, false, i));
        sites.add(DecoderBlocks.site(f + "gate_proj", mlpBias, h, inter, false, i));
        sites.add(DecoderBlocks.site(f + "up_proj", mlpBias, h, inter, false, i));
        sites.add(DecoderBlocks.site(f + "down_proj", mlpBias, inter, h, false, i));
        return sites;
    }

    @Override
    public String embeddingKey(DecoderConfig cfg) {
        return P + "embed_tokens.weight";
    }

    @Override
    public Tensor block(ForwardContext ctx, DecoderConfig cfg, int i, Tensor x) {
        Ops ops = ctx.ops();
        List<LinearSite> sites = layerSites(cfg, i);
        RotarySpec rope = DecoderBlocks.rotary(cfg, cfg.rotaryDim(), false);
        Activation act = Activation.fromHf(cfg.activation());
        double eps = cfg.normEps();
        double scale = 1.0 / Math.sqrt(cfg.headDim());
        String l = P + "layers." + i + ".";
        Tensor a = ops.rmsNorm(x, ops.param(l + "input_layernorm.weight"), eps);
        Tensor q = ops.rotary(ops.splitHeads(ctx.linear(sites.get(0), a), cfg.numHeads()), rope);
        Tensor k = ops.rotary(ops.splitHeads(ctx.linear(sites.get(1), a), cfg.numKvHeads()), rope);
        Tensor v = ops.splitHeads(ctx.linear(sites.get(2), a), cfg.numKvHeads());
        Tensor attn = ops.attention(i, q, k, v, scale);
        x = ops.add(x, ctx.linear(sites.get(3), ops.mergeHeads(attn)));
        Tensor m = ops.rmsNorm(x, ops.param(l + "post_attention_layernorm.weight"), eps);
        Tensor gated = ops.mul(ops.activation(ctx.linear(sites.get(4), m), act), ctx.linear(sites.get(5), m));
        return ops.add(x, ctx.linear(sites.get(6), gated));
    }

    @Override
    public Tensor finalNorm(ForwardContext ctx, DecoderConfig cfg, Tensor x) {
        Ops ops = ctx.ops();
        return ops.rmsNorm(x, ops.param(P + "norm.weight"), cfg.normEps());
    }

    @Override
    public Tensor lmHead(ForwardContext ctx, DecoderConfig cfg, Tensor hidden) {
        Ops ops = ctx.ops();
        String head = cfg.tieWordEmbeddings() || !ops.hasParam("lm_head.weight") ? P + "embed_tokens.weight" : "lm_head.weight";
        if (!cfg.tieWordEmbeddings() && !ops.hasParam("lm_head.weight")) {
            throw new Peft4jException(cfg.modelType() + ": tie_word_embeddings is false but the checkpoint has no lm_head.weight");
        }
        return ops.linear(hidden, ops.param(head), null);
    }
}
