package ai.peft4j.examples.summarization.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ParticlesTest {

  @Test
  void choosesByFinalConsonant() {
    assertThat(Particles.attach("부산", "가")).isEqualTo("부산이");
    assertThat(Particles.attach("부산 파도", "이")).isEqualTo("부산 파도가");
    assertThat(Particles.attach("한빛전자", "은")).isEqualTo("한빛전자는");
    assertThat(Particles.attach("광주 범", "와")).isEqualTo("광주 범과");
    assertThat(Particles.attach("'빛 축제'", "이")).isEqualTo("'빛 축제'가");
  }

  @Test
  void rieulTakesRo() {
    assertThat(Particles.attach("서울", "으로")).isEqualTo("서울로");
    assertThat(Particles.attach("고장", "로")).isEqualTo("고장으로");
    assertThat(Particles.attach("사고", "으로")).isEqualTo("사고로");
  }

  @Test
  void readsNumbersAloud() {
    assertThat(Particles.attach("3대 1", "으로")).isEqualTo("3대 1로"); // 일
    assertThat(Particles.attach("3대 0", "으로")).isEqualTo("3대 0으로"); // 영
    assertThat(Particles.attach("85대 80", "으로")).isEqualTo("85대 80으로"); // 팔십
    assertThat(Particles.attach("2,614.35", "으로")).isEqualTo("2,614.35로"); // 오
    assertThat(Particles.attach("100", "를")).isEqualTo("100을"); // 백
    assertThat(Particles.attach("2,000", "가")).isEqualTo("2,000이"); // 천
    assertThat(Particles.attach("10000", "가")).isEqualTo("10000이"); // 만
    assertThat(Particles.attach("12%", "를")).isEqualTo("12%를"); // 퍼센트
  }

  @Test
  void varsExpandChoicesThenVariables() {
    Vars v = new Vars(new Random(1)).put("C", "서울").put("n", 3);
    String s = v.f("{C:은} [맑다|흐리다]. {n}일 연속.");
    assertThat(s).isIn("서울은 맑다. 3일 연속.", "서울은 흐리다. 3일 연속.");
    assertThat(new Vars(new Random(1)).put("C", "서울").put("n", 3).f("{C:은} [맑다|흐리다]. {n}일 연속."))
        .isEqualTo(s);
  }
}
