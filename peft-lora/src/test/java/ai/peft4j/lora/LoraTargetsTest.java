package ai.peft4j.lora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.peft4j.api.Peft4jException;
import ai.peft4j.api.model.LinearSite;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** PEFT's module matching rules, on Llama- and GPT-2-shaped site lists (no engine needed). */
class LoraTargetsTest {
    private static final List<String> LLAMA = List.of("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
            "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj");

    private static List<LinearSite> llama(int layers) {
        List<LinearSite> sites = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            for (String n : LLAMA) {
                String m = "model.layers." + l + "." + n;
                sites.add(new LinearSite(m, m + ".weight", null, 64, 64, false, l));
            }
        }
        return sites;
    }

    private static List<LinearSite> gpt2(int layers) {
        List<LinearSite> sites = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            for (String n : List.of("attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj")) {
                String m = "transformer.h." + l + "." + n;
                sites.add(new LinearSite(m, m + ".weight", m + ".bias", 64, 64, true, l));
            }
        }
        return sites;
    }

    private static List<String> selected(LoraConfig cfg, List<LinearSite> sites) {
        LoraConfig resolved = LoraTargets.resolveTargets(cfg, sites, List.of("q_proj", "v_proj"));
        return LoraTargets.select(resolved, sites, "llama").stream().map(LinearSite::module).toList();
    }

    @Test
    void aStringIsAFullMatchRegex() {
        List<LinearSite> sites = llama(2);
        assertThat(selected(LoraConfig.builder().targetModules(".*\\.(q_proj|v_proj)").build(), sites)).containsExactly(
                "model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj",
                "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj");
        assertThat(selected(LoraConfig.builder().targetModules("model\\.layers\\.1\\..*proj").build(), sites)).hasSize(7);
        // Not a search: "q_proj" as a regex does not match the whole path.
        assertThatThrownBy(() -> selected(LoraConfig.builder().targetModules("q_proj").build(), sites))
                .isInstanceOf(Peft4jException.class).hasMessageContaining("matched no linear layer");
    }

    @Test
    void aListMatchesExactPathsOrDotSuffixes() {
        List<LinearSite> sites = llama(2);
        assertThat(selected(LoraConfig.builder().targetModules(List.of("q_proj")).build(), sites))
                .containsExactly("model.layers.0.self_attn.q_proj", "model.layers.1.self_attn.q_proj");
        assertThat(selected(LoraConfig.builder().targetModules(List.of("mlp.up_proj", "model.layers.0.self_attn.o_proj")).build(), sites))
                .containsExactly("model.layers.0.self_attn.o_proj", "model.layers.0.mlp.up_proj", "model.layers.1.mlp.up_proj");
        // "proj" is not a '.'-separated suffix of "q_proj".
        assertThatThrownBy(() -> selected(LoraConfig.builder().targetModules(List.of("proj")).build(), sites))
                .isInstanceOf(Peft4jException.class).hasMessageContaining("matched no linear layer");
    }

    @Test
    void absentTargetsUseTheArchitectureDefaultAndAreSavedResolved() {
        List<LinearSite> sites = llama(2);
        LoraConfig resolved = LoraTargets.resolveTargets(LoraConfig.builder().build(), sites, List.of("q_proj", "v_proj"));
        assertThat(resolved.targetModules().nameList()).containsExactly("q_proj", "v_proj");
        assertThat(LoraTargets.select(resolved, sites, "llama")).hasSize(4);
    }

    @Test
    void allLinearResolvesToEveryPathAndLongListsCondenseToSuffixesAsPeftDoes() {
        LoraConfig two = LoraTargets.resolveTargets(LoraConfig.builder().targetModules("all-linear").build(), llama(2), List.of());
        assertThat(two.targetModules().nameList()).hasSize(14).contains("model.layers.1.mlp.down_proj");
        // 32 layers give 224 >= 20 names, which PEFT condenses to the shortest distinguishing suffixes.
        LoraConfig many = LoraTargets.resolveTargets(LoraConfig.builder().targetModules("ALL-LINEAR").build(), llama(32), List.of());
        assertThat(many.targetModules().nameList()).containsExactlyInAnyOrder("q_proj", "k_proj", "v_proj", "o_proj",
                "gate_proj", "up_proj", "down_proj");
        LoraConfig gpt = LoraTargets.resolveTargets(LoraConfig.builder().targetModules("all-linear").build(), gpt2(12), List.of());
        assertThat(gpt.targetModules().nameList()).containsExactlyInAnyOrder("c_attn", "c_proj", "c_fc");
        // A long list that must keep mlp.c_proj apart from attn.c_proj keeps the longer suffix.
        List<String> mlpOnly = new ArrayList<>();
        for (int l = 0; l < 12; l++) {
            mlpOnly.add("transformer.h." + l + ".mlp.c_proj");
            mlpOnly.add("transformer.h." + l + ".mlp.c_fc");
        }
        LoraConfig mlp = LoraTargets.resolveTargets(LoraConfig.builder().targetModules(mlpOnly).build(), gpt2(12), List.of());
        assertThat(mlp.targetModules().nameList()).containsExactlyInAnyOrder("mlp.c_proj", "c_fc");
        assertThat(LoraTargets.select(mlp, gpt2(12), "gpt2")).hasSize(24);
    }

    @Test
    void excludeModulesRemovesListedOrRegexMatchedSites() {
        List<LinearSite> sites = llama(2);
        assertThat(selected(LoraConfig.builder().targetModules("all-linear").excludeModules(List.of("down_proj", "up_proj")).build(), sites))
                .hasSize(10).noneMatch(m -> m.endsWith("down_proj") || m.endsWith("up_proj"));
        assertThat(selected(LoraConfig.builder().targetModules(List.of("q_proj")).excludeModules("model\\.layers\\.0\\..*").build(), sites))
                .containsExactly("model.layers.1.self_attn.q_proj");
        assertThatThrownBy(() -> selected(LoraConfig.builder().targetModules(List.of("q_proj")).excludeModules(List.of("q_proj")).build(), sites))
                .isInstanceOf(Peft4jException.class).hasMessageContaining("minus exclude_modules");
    }

    @Test
    void layersToTransformFiltersSuffixMatchesByLayerIndex() {
        List<LinearSite> sites = llama(3);
        assertThat(selected(LoraConfig.builder().targetModules(List.of("q_proj")).layersToTransform(List.of(0, 2)).build(), sites))
                .containsExactly("model.layers.0.self_attn.q_proj", "model.layers.2.self_attn.q_proj");
        assertThat(selected(LoraConfig.builder().targetModules(List.of("q_proj")).layersToTransform(1).layersPattern("layers").build(), sites))
                .containsExactly("model.layers.1.self_attn.q_proj");
        assertThat(selected(LoraConfig.builder().targetModules(List.of("c_attn")).layersToTransform(1).layersPattern(List.of("h")).build(), gpt2(2)))
                .containsExactly("transformer.h.1.attn.c_attn");
        // A pattern that names no layer list matches nothing.
        assertThatThrownBy(() -> selected(LoraConfig.builder().targetModules(List.of("q_proj")).layersToTransform(1)
                .layersPattern("blocks").build(), sites)).isInstanceOf(Peft4jException.class);
        // PEFT applies the layer filter to suffix matches only: an exact path is taken as given.
        assertThat(selected(LoraConfig.builder().targetModules(List.of("model.layers.2.self_attn.q_proj", "v_proj"))
                .layersToTransform(0).build(), sites)).containsExactly("model.layers.0.self_attn.v_proj", "model.layers.2.self_attn.q_proj");
        assertThat(LoraTargets.layerIndex("model.layers.12.mlp.experts.3.w1", null)).isEqualTo(12);
    }

    @Test
    void rankAndAlphaPatternsMatchPathEndsAtDotBoundariesFirstKeyWins() {
        Map<String, Integer> ranks = new LinkedHashMap<>();
        ranks.put("layers.0.mlp.down_proj", 2);
        ranks.put("down_proj", 6);
        ranks.put("proj", 99); // not a '.'-suffix of any module here
        ranks.put("(q|k)_proj", 3);
        LoraConfig cfg = LoraConfig.builder().r(8).loraAlpha(16).rankPattern(ranks).alphaPattern(Map.of("v_proj", 4)).build();
        assertThat(LoraTargets.rank(cfg, "model.layers.0.mlp.down_proj")).isEqualTo(2);
        assertThat(LoraTargets.rank(cfg, "model.layers.1.mlp.down_proj")).isEqualTo(6);
        assertThat(LoraTargets.rank(cfg, "model.layers.1.self_attn.k_proj")).isEqualTo(3);
        assertThat(LoraTargets.rank(cfg, "model.layers.1.self_attn.o_proj")).isEqualTo(8);
        assertThat(LoraTargets.alpha(cfg, "model.layers.1.self_attn.v_proj")).isEqualTo(4);
        assertThat(LoraTargets.alpha(cfg, "model.layers.1.self_attn.q_proj")).isEqualTo(16);
        assertThat(LoraTargets.scaling(cfg, "model.layers.1.self_attn.v_proj")).isEqualTo(4.0 / 8);
        assertThat(LoraTargets.scaling(cfg, "model.layers.0.mlp.down_proj")).isEqualTo(16.0 / 2);
        LoraConfig rs = cfg.toBuilder().useRslora(true).build();
        assertThat(LoraTargets.scaling(rs, "model.layers.0.mlp.down_proj")).isEqualTo(16.0 / Math.sqrt(2));
        assertThat(LoraTargets.scaling(rs, "model.layers.1.self_attn.v_proj")).isEqualTo(4.0 / Math.sqrt(8));
    }

    @Test
    void aTargetMatchingNothingListsTheLinearLayers() {
        assertThatThrownBy(() -> selected(LoraConfig.builder().targetModules(List.of("query_key_value")).build(), llama(2)))
                .isInstanceOf(Peft4jException.class)
                .hasMessageContaining("target_modules [query_key_value] matched no linear layer of this llama model")
                .hasMessageContaining("14 linear layers are named down_proj, gate_proj, k_proj, o_proj, q_proj, up_proj, v_proj")
                .hasMessageContaining("layer 0 has model.layers.0.self_attn.q_proj");
    }
}
