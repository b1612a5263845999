package io.meshtrace.context;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HttpTokenTest {

  @ParameterizedTest(name = "[{0}] token={1} lowerCase={2}")
  @CsvSource(delimiter = '|', value = {
      "x-request-id | true | true",
      "traceparent | true | true",
      "X-B3-TraceId | true | false",
      "Authorization | true | false",
      "x-tenant_1 | true | true",
      "'' | false | false",
      "x b3 | false | false",
      ":path | false | false",
      "x-tenant: | false | false",
      "x-b3\ttraceid | false | false",
      "tr\u00e4ce | false | false",
      "x-\uD83D\uDE00 | false | false",
      "\"quoted\" | false | false",
      "a(b) | false | false",
      "a,b | false | false",
  })
  void isToken_realHeaderNames(String name, boolean token, boolean lowerCaseToken) {
    assertThat(HttpToken.isToken(name)).isEqualTo(token);
    assertThat(HttpToken.isLowerCaseToken(name)).isEqualTo(lowerCaseToken);
  }

  @Test
  void isToken_everySymbolTheGrammarAllows_accepted() {
    assertThat(HttpToken.isToken("!#$%&'*+-.^_`|~")).isTrue();
    assertThat(HttpToken.isLowerCaseToken("!#$%&'*+-.^_`|~")).isTrue();
  }

  @Test
  void isToken_everyOtherAsciiCharacter_rejected() {
    for (char c = 0; c < 0x80; c++) {
      boolean expected = Character.isLetterOrDigit(c) || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
      assertThat(HttpToken.isToken("a" + c)).as("0x%02x", (int) c).isEqualTo(expected);
    }
  }
}
