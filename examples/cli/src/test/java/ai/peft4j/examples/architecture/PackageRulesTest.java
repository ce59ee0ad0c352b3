package ai.peft4j.examples.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The package map of {@code docs/ARCHITECTURE.md}, enforced on the main classes of every module
 * (this module sees them all). Maven already keeps modules from importing what they do not
 * depend on; these rules hold the lines inside modules and between plugins.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PackageRulesTest {
    private JavaClasses classes;

    @BeforeAll
    void importMainClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS).importPackages("ai.peft4j");
        if (classes.size() < 100) {
            // with DO_NOT_INCLUDE_JARS only this module's classes import; sibling modules come as jars in a reactor build
            classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("ai.peft4j");
        }
        // the rules must see every module, or they would pass on nothing
        for (String c : new String[] {"ai.peft4j.api.peft.PeftModel", "ai.peft4j.lora.LoraMethod", "ai.peft4j.prompttuning.PromptTuningMethod",
                "ai.peft4j.engine.pytorch.PtEngine", "ai.peft4j.engine.onnx.OnnxEngine", "ai.peft4j.examples.ia3.Ia3Method"}) {
            org.assertj.core.api.Assertions.assertThat(classes.contain(c)).as(c).isTrue();
        }
    }

    @Test
    void architecturesAndOpsKnowNothingOfMethodsTrainingOrApplications() {
        noClasses().that().resideInAnyPackage("ai.peft4j.api.ops..", "ai.peft4j.api.arch..", "ai.peft4j.api.model..")
                .should().dependOnClassesThat().resideInAnyPackage("ai.peft4j.api.train..", "ai.peft4j.api.peft..",
                        "ai.peft4j.api.inject..", "ai.peft4j.api.generate..", "ai.peft4j.lora..", "ai.peft4j.prompttuning..",
                        "ai.peft4j.engine..", "ai.peft4j.examples..", "ai.djl..", "ai.onnxruntime..")
                .check(classes);
    }

    @Test
    void methodsAreWrittenAgainstTheOpsNotAnEngine() {
        noClasses().that().resideInAnyPackage("ai.peft4j.lora..", "ai.peft4j.prompttuning..", "ai.peft4j.examples.ia3..")
                .should().dependOnClassesThat().resideInAnyPackage("ai.peft4j.engine..", "ai.djl..", "ai.onnxruntime..")
                .check(classes);
    }

    @Test
    void enginesDoNotKnowEachOtherOrAnyMethod() {
        noClasses().that().resideInAPackage("ai.peft4j.engine.pytorch..").should().dependOnClassesThat()
                .resideInAnyPackage("ai.peft4j.engine.onnx..", "ai.onnxruntime..").check(classes);
        noClasses().that().resideInAPackage("ai.peft4j.engine.onnx..").should().dependOnClassesThat()
                .resideInAnyPackage("ai.peft4j.engine.pytorch..", "ai.djl.pytorch..").check(classes);
        noClasses().that().resideInAPackage("ai.peft4j.engine..").should().dependOnClassesThat()
                .resideInAnyPackage("ai.peft4j.lora..", "ai.peft4j.prompttuning..", "ai.peft4j.examples..").check(classes);
    }

    @Test
    void enginesImplementRuntimeLevelInterfacesAndNeverSeePeftModel() {
        // serving and export glue that reads a PeftModel lives in peft-api (ai.peft4j.api.serving)
        noClasses().that().resideInAPackage("ai.peft4j.engine..").should().dependOnClassesThat()
                .resideInAnyPackage("ai.peft4j.api.peft..", "ai.peft4j.api.train..").check(classes);
    }

    @Test
    void engineKnobsComeFromEngineOptionsNotSystemProperties() {
        // PtEngine's one read sets DJL's offline default before DJL starts; every knob is EngineOptions'.
        noClasses().that().resideInAPackage("ai.peft4j.engine..").and().doNotHaveSimpleName("PtEngine")
                .should().callMethod(System.class, "getProperty", String.class)
                .orShould().callMethod(System.class, "getProperty", String.class, String.class)
                .orShould().callMethod(Integer.class, "getInteger", String.class, int.class)
                .orShould().callMethod(Boolean.class, "getBoolean", String.class)
                .check(classes);
    }
}
