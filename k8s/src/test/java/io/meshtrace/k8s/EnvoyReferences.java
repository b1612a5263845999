package io.meshtrace.k8s;

import com.google.protobuf.Any;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiConsumer;

/**
 * Names one part of an Envoy config refers to elsewhere, found by walking every field of the
 * decoded protos, typed_config payloads included: clusters (route targets, gRPC services,
 * tracer collectors) and internal listeners.
 */
final class EnvoyReferences {
  private EnvoyReferences() {}

  /** Clusters referred to by routes, envoy_grpc services and tracers (not the clusters' own names). */
  static Set<String> clusterNames(Message root) {
    Set<String> out = new TreeSet<>();
    walk(root, (field, value) -> {
      String owner = field.getContainingType().getFullName();
      boolean ref = switch (field.getName()) {
        case "cluster" -> owner.equals("envoy.config.route.v3.RouteAction");
        case "cluster_name" -> owner.equals("envoy.config.core.v3.GrpcService.EnvoyGrpc");
        case "collector_cluster" -> owner.equals("envoy.config.trace.v3.ZipkinConfig");
        default -> false;
      };
      if (ref) {
        out.add((String) value);
      }
    });
    return out;
  }

  /** server_listener_name of every envoy_internal_address. */
  static Set<String> internalListenerNames(Message root) {
    Set<String> out = new TreeSet<>();
    walk(root, (field, value) -> {
      if (field.getName().equals("server_listener_name")) {
        out.add((String) value);
      }
    });
    return out;
  }

  private static void walk(Message m, BiConsumer<FieldDescriptor, Object> onString) {
    if (m.getDescriptorForType().equals(Any.getDescriptor())) {
      // Inside a DynamicMessage a nested Any is a DynamicMessage too: re-read it as an Any.
      try {
        walk(unpack(m instanceof Any a ? a : Any.parseFrom(m.toByteString())), onString);
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException(e);
      }
      return;
    }
    for (Map.Entry<FieldDescriptor, Object> e : m.getAllFields().entrySet()) {
      FieldDescriptor f = e.getKey();
      Iterable<?> values = f.isRepeated() ? (Iterable<?>) e.getValue() : java.util.List.of(e.getValue());
      for (Object v : values) {
        if (v instanceof Message child) {
          walk(child, onString);
        } else if (v instanceof String s) {
          onString.accept(f, s);
        }
      }
    }
  }

  private static Message unpack(Any any) {
    String url = any.getTypeUrl();
    Descriptor d = EnvoyJson.TYPES.find(url.substring(url.lastIndexOf('/') + 1));
    if (d == null) {
      throw new IllegalStateException("type not registered: " + url);
    }
    try {
      return DynamicMessage.parseFrom(d, any.getValue());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(url, e);
    }
  }
}
