package io.meshtrace.extproc;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import org.junit.jupiter.api.Test;

class HeaderMapViewTest {

  @Test
  void rawValue_isReadInPlace_bytesAsLatin1() {
    HeaderMap map = EnvoyHeaders.request()
        .raw("x-b3-traceid", "463ac35c9f6413ad")
        .rawBytes("x-bad", new byte[] {(byte) 0xff, 'a', (byte) 0x80})
        .map();
    HeaderMapView view = new HeaderMapView(map);
    assertThat(view.size()).isEqualTo(7);
    assertThat(view.name(5).toString()).isEqualTo("x-b3-traceid");
    assertThat(view.valueString(5)).isEqualTo("463ac35c9f6413ad");
    assertThat(view.valueLength(6)).isEqualTo(3);
    assertThat(view.valueCharAt(6, 0)).isEqualTo('\u00ff');
    assertThat(view.valueCharAt(6, 2)).isEqualTo('\u0080');
  }

  @Test
  void legacyValue_isReadWhenRawValueIsEmpty() {
    HeaderMap map = EnvoyHeaders.request().legacy("x-b3-traceid", "463ac35c9f6413ad").map();
    HeaderMapView view = new HeaderMapView(map);
    assertThat(view.valueLength(5)).isEqualTo(16);
    assertThat(view.valueString(5)).isEqualTo("463ac35c9f6413ad");
  }

  @Test
  void emptyValue_inBothFields_hasLengthZero() {
    HeaderMapView view = new HeaderMapView(EnvoyHeaders.request().raw("x-b3-sampled", "").map());
    assertThat(view.valueLength(5)).isZero();
  }

  @Test
  void byteSize_countsNamesAndValues() {
    HeaderMap map = HeaderMap.newBuilder().build();
    assertThat(new HeaderMapView(map).byteSize()).isZero();
    HeaderMapView view = new HeaderMapView(
        EnvoyHeaders.request().raw("ab", "cde").legacy("f", "gh").map());
    long pseudo = ":authority".length() + "gateway.example.com".length() + ":path".length()
        + "/productpage".length() + ":method".length() + 3 + ":scheme".length() + 5
        + "user-agent".length() + "curl/8.5.0".length();
    assertThat(view.byteSize()).isEqualTo(pseudo + 5 + 3);
  }
}
