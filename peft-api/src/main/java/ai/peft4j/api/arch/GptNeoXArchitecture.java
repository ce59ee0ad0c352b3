package ai.peft4j.api.arch;

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
 * GPT-NeoX and Polyglot-ko ({@code model_type} {@code gpt_neox}): partial rotate-half rotary
 * ({@code rotary_pct}), a fused {@code query_key_value} laid out per head as
 * {@code [head][q,k,v][headDim]}, parallel or sequential residuals, and a separate
 * {@code embed_out} head.
 *
 * <pre>{@code
 * Architecture neox = new GptNeoXArchitecture(); // serves EleutherAI/polyglot-ko-*
 * }</pre>
 */
public final class GptNeoXArchitecture implements Architecture {
    private static final String P = "gpt_neox.";

    @Override
    public Set<String> modelTypes() {
        return Set.of("gpt_neox");
    }

    @Override
    public void validate(DecoderConfig cfg) {
        Activation.fromHf(cfg.activation());
    }

    @Override
    public Map<String, long[]> weightShapes(DecoderConfig cfg) {
        Map<String, long[]> m = new LinkedHashMap<>();
        int h = cfg.hiddenSize();
        m.put(P + "embed_in.weight", new long[] {cfg.vocabSize(), h});
        for (int i = 0; i < cfg.numLayers(); i++) {
            for (String norm : new String[] {"input_layernorm", "post_attention_layernorm"}) {
                m.put(P + "layers." + i + "." + norm + ".weight", new long[] {h});
                m.put(P + "layers." + i + "." + norm + ".bias", new long[] {h});
            }
        }
        for (LinearSite s : linearSites(cfg)) {
            DecoderBlocks.put(m, s);
        }
        m.put(P + "final_layer_norm.weight", new long[] {h});
        m.put(P + "final_layer_norm.bias", new long[] {h});
        m.put("embed_out.weight", new long[] {cfg.vocabSize(), h});
        return m;
    }

    @Override
    public List<LinearSite> layerSites(DecoderConfig cfg, int i) {
        int h = cfg.hiddenSize();
        int inner = cfg.intermediateSize();
        boolean bias = cfg.attentionBias();
        List<LinearSite> sites = new ArrayList<>();
        String l = P + "layers." + i + ".";
        sites.add(DecoderBlocks.site(l + "attention.query_key_value", bias, h, 3 * h, false, i));
        sites.add(DecoderBlocks.site(l + "attention.dense", bias, h, h, false, i));
        sites.add(DecoderBlocks.site(l + "mlp.dense_h_to_4h", true, h, inner, false, i));
        sites.add(DecoderBlocks.site(l + "mlp.dense_4h_to_h", true, inner, h, false, i));
        return sites;
    }

    @Override
    public String embeddingKey(DecoderConfig cfg) {
        return P + "embed_in.weight";
    }

    @Override
    public Tensor block(ForwardContext ctx, DecoderConfig cfg, int i, Tensor x) {
        Ops ops = ctx.ops();
        List<LinearSite> sites = layerSites(cfg, i);
        RotarySpec rope = DecoderBlocks.rotary(cfg, cfg.rotaryDim(), false);
        Activation act = Activation.fromHf(cfg.activation());
        double scale = 1.0 / Math.sqrt(cfg.headDim());
        int d = cfg.headDim();
        double eps = cfg.normEps();
        String l = P + "layers." + i + ".";
        Tensor a = ops.layerNorm(x, ops.param(l + "input_layernorm.weight"), ops.param(l + "input_layernorm.bias"), eps);
        // Per-head [q|k|v] layout: split heads first, then q, k, v inside each head.
        Tensor[] qkv = ops.splitLast(ops.splitHeads(ctx.linear(sites.get(0), a), cfg.numHeads()), d, d, d);
        Tensor attn = ops.attention(i, ops.rotary(qkv[0], rope), ops.rotary(qkv[1], rope), qkv[2], scale);
        attn = ctx.linear(sites.get(1), ops.mergeHeads(attn));
        Tensor mlpIn = cfg.parallelResidual() ? x : ops.add(x, attn);
        Tensor m = ops.layerNorm(mlpIn, ops.param(l + "post_attention_layernorm.weight"),
                ops.param(l + "post_attention_layernorm.bias"), eps);
        m = ctx.linear(sites.get(3), ops.activation(ctx.linear(sites.get(2), m), act));
        return cfg.parallelResidual() ? ops.add(ops.add(m, attn), x) : ops.add(m, mlpIn);
    }

    @Override
    public Tensor finalNorm(ForwardContext ctx, DecoderConfig cfg, Tensor x) {
        Ops ops = ctx.ops();
        return ops.layerNorm(x, ops.param(P + "final_layer_norm.weight"), ops.param(P + "final_layer_norm.bias"), cfg.normEps());
    }

    @Override
    public Tensor lmHead(ForwardContext ctx, DecoderConfig cfg, Tensor hidden) {
        Ops ops = ctx.ops();
        return ops.linear(hidden, ops.param("embed_out.weight"), null);
    }
}
