package io.meshtrace.xds.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Names one section of the config uses for something another section defines: providers named
 * by {@code defaultProviders} and tracing rules, services named by selectors, dependencies and
 * gateway routes. Section readers note them where they read them; {@link CrossChecks} resolves
 * them once every section is read.
 */
final class References {

  /** A name at a key path. */
  record Ref(String path, String name) {}

  private final List<Ref> providers = new ArrayList<>();
  private final List<Ref> services = new ArrayList<>();

  void provider(String path, String name) {
    providers.add(new Ref(path, name));
  }

  void service(String path, String name) {
    services.add(new Ref(path, name));
  }

  List<Ref> providers() {
    return providers;
  }

  List<Ref> services() {
    return services;
  }
}
