package ai.peft4j.api.model;

/**
 * A linear layer of a decoder that adapters may hook, named by its Hugging Face module path.
 *
 * <pre>{@code
 * LinearSite site = arch.linearSites(cfg).get(0);
 * System.out.println(site.module()); // e.g. transformer.h.0.attn.c_attn
 * }</pre>
 *
 * @param module the module path, as PEFT writes it in adapter keys
 * @param weightKey the checkpoint key of the weight
 * @param biasKey the checkpoint key of the bias, or null
 * @param inFeatures input width
 * @param outFeatures output width
 * @param inOutLayout true when the weight is stored {@code [in, out]} (GPT-2 Conv1D)
 * @param layer the decoder layer index
 */
public record LinearSite(String module, String weightKey, String biasKey, int inFeatures, int outFeatures,
        boolean inOutLayout, int layer) {

    /** The last component of the module path ({@code q_proj}, {@code c_attn}). */
    public String shortName() {
        int dot = module.lastIndexOf('.');
        return dot < 0 ? module : module.substring(dot + 1);
    }

    /** The weight's shape as stored in the checkpoint. */
    public long[] weightShape() {
        return inOutLayout ? new long[] {inFeatures, outFeatures} : new long[] {outFeatures, inFeatures};
    }
}
