package io.meshtrace.xds.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshtrace.xds.TestMesh;
import io.meshtrace.xds.config.ConfigParser;
import io.meshtrace.xds.config.MeshConfig;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** {@link ControlPlane#onApplied}: every config swapped in, in order, whatever a listener does. */
class ControlPlaneListenerTest {

  @Test
  void onApplied_calledWithEachConfigSwappedIn_inOrder_aThrowingListenerChangesNothing()
      throws Exception {
    Metrics metrics = new Metrics();
    ControlPlane plane = new ControlPlane(new ProxyRegistry(metrics), metrics);
    MeshConfig first = ConfigParser.parse(TestMesh.base(), null);
    assertThat(plane.apply(first)).isEmpty();

    List<MeshConfig> seen = new CopyOnWriteArrayList<>();
    plane.onApplied(c -> {
      throw new IllegalStateException("listener bug");
    });
    plane.onApplied(seen::add);
    assertThat(seen).as("the config served before the listener came").isEmpty();

    MeshConfig second = ConfigParser.parse(TestMesh.base().replace(
        "randomSamplingPercentage: 10", "randomSamplingPercentage: 20"), null);
    MeshConfig third = ConfigParser.parse(TestMesh.base().replace(
        "randomSamplingPercentage: 10", "randomSamplingPercentage: 30"), null);
    assertThat(plane.apply(second)).isEmpty();
    assertThat(plane.config()).isSameAs(second);
    assertThat(plane.apply(third)).isEmpty();

    assertThat(seen).containsExactly(second, third);
    assertThat(plane.config()).isSameAs(third);
  }
}
