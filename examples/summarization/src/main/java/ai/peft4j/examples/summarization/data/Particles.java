package ai.peft4j.examples.summarization.data;

/**
 * Picks the Korean particle form that fits the preceding word (이/가, 을/를, 으로/로 ...).
 * The generator needs this because entity names and numbers are drawn at random.
 */
final class Particles {

  private Particles() {}

  /**
   * Appends the right form of {@code particle} to {@code word}.
   *
   * @param word a Hangul word or a number, optionally followed by closing quotes
   * @param particle either form of a supported pair, e.g. "이" or "가"
   * @return word + particle
   */
  static String attach(String word, String particle) {
    boolean consonant = endsWithConsonant(word);
    String chosen =
        switch (particle) {
          case "은", "는" -> consonant ? "은" : "는";
          case "이", "가" -> consonant ? "이" : "가";
          case "을", "를" -> consonant ? "을" : "를";
          case "과", "와" -> consonant ? "과" : "와";
          case "이나", "나" -> consonant ? "이나" : "나";
          case "이라고", "라고" -> consonant ? "이라고" : "라고";
          case "이다", "다" -> consonant ? "이다" : "다";
            // ㄹ-final words take 로, like vowel-final ones.
          case "으로", "로" -> consonant && !endsWithRieul(word) ? "으로" : "로";
          default -> throw new IllegalArgumentException("unsupported particle: " + particle);
        };
    return word + chosen;
  }

  static boolean endsWithConsonant(String word) {
    int i = lastSignificant(word);
    if (i < 0) {
      return false;
    }
    char c = word.charAt(i);
    if (c >= '가' && c <= '힣') {
      return (c - '가') % 28 != 0;
    }
    if (c >= '0' && c <= '9') {
      return readsWithConsonant(word, i);
    }
    return false; // %, Latin: read as 퍼센트 etc.; vowel-final is the safe default here
  }

  static boolean endsWithRieul(String word) {
    int i = lastSignificant(word);
    if (i < 0) {
      return false;
    }
    char c = word.charAt(i);
    if (c >= '가' && c <= '힣') {
      return (c - '가') % 28 == 8;
    }
    if (c >= '0' && c <= '9') {
      int d = c - '0';
      return d == 1 || d == 7 || d == 8; // 일, 칠, 팔
    }
    return false;
  }

  private static int lastSignificant(String word) {
    int i = word.length() - 1;
    while (i >= 0 && "'\"’”)]".indexOf(word.charAt(i)) >= 0) {
      i--;
    }
    return i;
  }

  /** How a number ending at index {@code end} is read aloud: 일, 삼, 육, 칠, 팔, 십, 백 ... */
  private static boolean readsWithConsonant(String word, int end) {
    int d = word.charAt(end) - '0';
    if (d != 0) {
      return d == 1 || d == 3 || d == 6 || d == 7 || d == 8;
    }
    int zeros = 0;
    int i = end;
    boolean nonZero = false;
    for (; i >= 0; i--) {
      char c = word.charAt(i);
      if (c == ',') {
        continue;
      }
      if (c < '0' || c > '9') {
        break;
      }
      if (c != '0') {
        nonZero = true;
        break;
      }
      zeros++;
    }
    if (!nonZero) {
      return true; // 영
    }
    return switch (zeros % 4) {
      case 1 -> true; // 십
      case 2 -> true; // 백
      case 3 -> true; // 천
      default -> zeros != 12; // 만, 억 end in a consonant; 조 does not
    };
  }
}
