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
 * GPT-J and KoGPT ({@code model_type} {@code gptj}): interleaved (rotate-every-two) rotary on the
 * first {@code rotary_dim} dimensions, attention and MLP in parallel off one {@code ln_1}, and an
 * untied LM head with a bias.
 *
 * <pre>{@code
 * Architecture gptj = new GptJArchitecture(); // serves kakaobrain/kogpt
 * }</pre>
 */
public final class GptJArchitecture implements Architecture {
    private static final String P = "transformer.";

    @Override
    public Set<String> modelTypes() {
        return Set.of("gptj");
    }

    @Override
    public void validate(DecoderConfig cfg) {
        Activation.fromHf(cfg.activation());
    }

    @Override
    public Map<String, long[]> weightShapes(DecoderConfig cfg) {
        Map<String, long[]> m = new LinkedHashMap<>();
        int h = cfg.hiddenSize();
        m.put(P + "wte.weight", new long[] {cfg.vocabSize(), h});
        for (int i = 0; i < cfg.numLayers(); i++) {
            m.put(P + "h." + i + ".ln_1.weight", new long[] {h});
            m.put(P + "h." + i + ".ln_1.bias", new long[] {h});
        }
        for (LinearSite s : linearSites(cfg)) {
            DecoderBlocks.put(m, s);
        }
        m.put(P + "ln_f.weight", new long[] {h});
        m.put(P + "ln_f.bias", new long[] {h});
        m.put("lm_head.weight", new long[] {cfg.vocabSize(), h});
        m.put("lm_head.bias", new long[] {cfg.vocabSize()});
        return m;
    }

    @Override
    public List<LinearSite> layerSites(DecoderConfig cfg, int i) {
        int h = cfg.hiddenSize();
        int inner = cfg.intermediateSize();
        List<LinearSite> sites = new ArrayList<>();
        String l = P + "h." + i + ".";
        sites.add(DecoderBlocks.site(l + "attn.q_proj", false, h, h, false, i));
        sites.add(DecoderBlocks.site(l + "attn.k_proj", false, h, h, false, i));
        sites.add(DecoderBlocks.site(l + "attn.v_proj", false, h, h, false, i));
        sites.add(DecoderBlocks.site(l + "attn.out_proj", false, h, h, false, i));
        sites.add(DecoderBlocks.site(l + "mlp.fc_in", true, h, inner, false, i));
        sites.add(DecoderBlocks.site(l + "mlp.fc_out", true, inner, h, false, i));
        return sites;
    }

    @Override
    public String embeddingKey(DecoderConfig cfg) {
        return P + "wte.weight";
    }

    @Override
    public Tensor block(ForwardContext ctx, DecoderConfig cfg, int i, Tensor x) {
        Ops ops = ctx.ops();
        List<LinearSite> sites = layerSites(cfg, i);
        RotarySpec rope = RotarySpec.standard(cfg.rotaryDim(), cfg.ropeTheta(), true);
        Activation act = Activation.fromHf(cfg.activation());
        double scale = 1.0 / Math.sqrt(cfg.headDim());
        int heads = cfg.numHeads();
        String l = P + "h." + i + ".";
        Tensor a = ops.layerNorm(x, ops.param(l + "ln_1.weight"), ops.param(l + "ln_1.bias"), cfg.normEps());
        Tensor q = ops.rotary(ops.splitHeads(ctx.linear(sites.get(0), a), heads), rope);
        Tensor k = ops.rotary(ops.splitHeads(ctx.linear(sites.get(1), a), heads), rope);
        Tensor v = ops.splitHeads(ctx.linear(sites.get(2), a), heads);
        Tensor attn = ctx.linear(sites.get(3), ops.mergeHeads(ops.attention(i, q, k, v, scale)));
        Tensor mlp = ctx.linear(sites.get(5), ops.activation(ctx.linear(sites.get(4), a), act));
        return ops.add(ops.add(attn, mlp), x);
    }

    @Override
    public Tensor finalNorm(ForwardContext ctx, DecoderConfig cfg, Tensor x) {
        Ops ops = ctx.ops();
        return ops.layerNorm(x, ops.param(P + "ln_f.weight"), ops.param(P + "ln_f.bias"), cfg.normEps());
    }

    @Override
    public Tensor lmHead(ForwardContext ctx, DecoderConfig cfg, Tensor hidden) {
        Ops ops = ctx.ops();
        return ops.linear(hidden, ops.param("lm_head.weight"), ops.param("lm_head.bias"));
    }
}
