package ai.peft4j.api.arch;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.model.Architecture;
import ai.peft4j.api.model.DecoderConfig;
import ai.peft4j.api.model.ForwardContext;
import ai.peft4j.api.model.LinearSite;
import ai.peft4j.api.ops.Activation;
import ai.peft4j.api.ops.Ops;
import ai.peft4j.api.ops.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * GPT-2 and KoGPT2 ({@code model_type} {@code gpt2}): learned positions, pre-LayerNorm blocks,
 * Conv1D weights stored {@code [in, out]}, and an LM head tied to the token embeddings.
 *
 * <pre>{@code
 * Architecture gpt2 = new Gpt2Architecture();
 * List<LinearSite> sites = gpt2.linearSites(cfg); // c_attn, c_proj, c_fc, c_proj per layer
 * }</pre>
 */
public final class Gpt2Architecture implements Architecture {
    private static final String P = "transformer.";

    @Override
    public Set<String> modelTypes() {
        return Set.of("gpt2");
    }

    @Override
    public void validate(DecoderConfig cfg) {
        // reorder_and_upcast_attn only changes fp16 numerics; peft4j computes in fp32.
        Activation.fromHf(cfg.activation());
        if (cfg.hiddenSize() % cfg.numHeads() != 0) {
            throw new Peft4jException("gpt2: n_embd " + cfg.hiddenSize() + " is not divisible by n_head " + cfg.numHeads());
        }
    }

    @Override
    public Map<String, long[]> weightShapes(DecoderConfig cfg) {
        Map<String, long[]> m = new LinkedHashMap<>();
        int h = cfg.hiddenSize();
        m.put(P + "wte.weight", new long[] {cfg.vocabSize(), h});
        m.put(P + "wpe.weight", new long[] {cfg.maxPositions(), h});
        for (int i = 0; i < cfg.numLayers(); i++) {
            String l = P + "h." + i + ".";
            m.put(l + "ln_1.weight", new long[] {h});
            m.put(l + "ln_1.bias", new long[] {h});
            m.put(l + "ln_2.weight", new long[] {h});
            m.put(l + "ln_2.bias", new long[] {h});
        }
        for (LinearSite s : linearSites(cfg)) {
            DecoderBlocks.put(m, s);
        }
        m.put(P + "ln_f.weight", new long[] {h});
        m.put(P + "ln_f.bias", new long[] {h});
        return m;
    }

    @Override
    public List<LinearSite> layerSites(DecoderConfig cfg, int i) {
        int h = cfg.hiddenSize();
        int inner = cfg.intermediateSize();
        List<LinearSite> sites = new ArrayList<>();
        String l = P + "h." + i + ".";
        sites.add(DecoderBlocks.site(l + "attn.c_attn", true, h, 3 * h, true, i));
        sites.add(DecoderBlocks.site(l + "attn.c_proj", true, h, h, true, i));
        sites.add(DecoderBlocks.site(l + "mlp.c_fc", true, h, inner, true, i));
        sites.add(DecoderBlocks.site(l + "mlp.c_proj", true, inner, h, true, i));
        return sites;
    }

    @Override
    public String embeddingKey(DecoderConfig cfg) {
        return P + "wte.weight";
    }

    @Override
    public Tensor beforeBlocks(ForwardContext ctx, DecoderConfig cfg, Tensor inputEmbeddings) {
        Ops ops = ctx.ops();
        return ops.add(inputEmbeddings, ops.embedding(ops.param(P + "wpe.weight"), ops.positionIds()));
    }

    @Override
    public Tensor block(ForwardContext ctx, DecoderConfig cfg, int i, Tensor x) {
        Ops ops = ctx.ops();
        List<LinearSite> sites = layerSites(cfg, i);
        Activation act = Activation.fromHf(cfg.activation());
        boolean scaleWeights = cfg.flag("scale_attn_weights", true);
        boolean byLayer = cfg.flag("scale_attn_by_inverse_layer_idx", false);
        int h = cfg.hiddenSize();
        int headDim = h / cfg.numHeads();
        double eps = cfg.normEps();
        String l = P + "h." + i + ".";
        Tensor a = ops.layerNorm(x, ops.param(l + "ln_1.weight"), ops.param(l + "ln_1.bias"), eps);
        Tensor[] qkv = ops.splitLast(ctx.linear(sites.get(0), a), h, h, h);
        double scale = (scaleWeights ? 1.0 / Math.sqrt(headDim) : 1.0) / (byLayer ? i + 1 : 1);
        Tensor attn = ops.attention(i, ops.splitHeads(qkv[0], cfg.numHeads()), ops.splitHeads(qkv[1], cfg.numHeads()),
                ops.splitHeads(qkv[2], cfg.numHeads()), scale);
        x = ops.add(x, ctx.linear(sites.get(1), ops.mergeHeads(attn)));
        Tensor m = ops.layerNorm(x, ops.param(l + "ln_2.weight"), ops.param(l + "ln_2.bias"), eps);
        m = ctx.linear(sites.get(3), ops.activation(ctx.linear(sites.get(2), m), act));
        return ops.add(x, m);
    }

    @Override
    public Tensor finalNorm(ForwardContext ctx, DecoderConfig cfg, Tensor x) {
        Ops ops = ctx.ops();
        return ops.layerNorm(x, ops.param(P + "ln_f.weight"), ops.param(P + "ln_f.bias"), cfg.normEps());
    }

    @Override
    public Tensor lmHead(ForwardContext ctx, DecoderConfig cfg, Tensor hidden) {
        Ops ops = ctx.ops();
        String head = ops.hasParam("lm_head.weight") && !cfg.tieWordEmbeddings() ? "lm_head.weight" : P + "wte.weight";
        return ops.linear(hidden, ops.param(head), null);
    }
}
