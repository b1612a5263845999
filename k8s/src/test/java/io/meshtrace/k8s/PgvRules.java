package io.meshtrace.k8s;

import com.google.protobuf.Any;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.OneofDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.envoyproxy.pgv.validate.Validate;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Checks a decoded Envoy config against the {@code validate.rules} (protoc-gen-validate) options
 * carried in the api jar's descriptors, as Envoy does before it accepts a config. Covers the rule
 * kinds Envoy's v3 API uses: required messages and oneofs, string length / pattern / header-name
 * rules, numeric and duration bounds (wrappers included), repeated and map sizes with per-item
 * rules, and Any.required. typed_config payloads are checked too.
 */
final class PgvRules {
  private static final Pattern HEADER_NAME = Pattern.compile("^:?[0-9a-zA-Z!#$%&'*+\\-.^_|~`]+$");
  private static final Pattern HEADER_VALUE_LOOSE = Pattern.compile("^[^\u0000\n\r]*$");
  private static final Pattern HEADER_VALUE_STRICT = Pattern.compile("^[^\u0000-\u0008\n-\u001f\u007f]*$");

  private final List<String> violations = new ArrayList<>();

  private PgvRules() {}

  /** Every rule the message breaks, as "path: rule", empty when Envoy would accept it. */
  static List<String> violations(Message m) {
    PgvRules r = new PgvRules();
    r.message(m, "");
    return r.violations;
  }

  private void message(Message m, String path) {
    Descriptor d = m.getDescriptorForType();
    if (d.equals(Any.getDescriptor())) {
      Any any = m instanceof Any a ? a : reparse(m);
      Descriptor payload = EnvoyJson.TYPES.find(any.getTypeUrl().substring(any.getTypeUrl().lastIndexOf('/') + 1));
      if (payload == null) {
        violations.add(path + ": typed_config type not registered: " + any.getTypeUrl());
        return;
      }
      try {
        message(DynamicMessage.parseFrom(payload, any.getValue()), path + "<" + payload.getName() + ">");
      } catch (InvalidProtocolBufferException e) {
        violations.add(path + ": " + e.getMessage());
      }
      return;
    }
    if (d.getOptions().getExtension(Validate.disabled) || d.getOptions().getExtension(Validate.ignored)) {
      return;
    }
    for (OneofDescriptor o : d.getRealOneofs()) {
      if (o.getOptions().getExtension(Validate.required) && !m.hasOneof(o)) {
        violations.add(path + "." + o.getName() + ": one of its fields is required");
      }
    }
    for (FieldDescriptor f : d.getFields()) {
      String fp = path + "." + f.getName();
      boolean set = f.isRepeated() ? m.getRepeatedFieldCount(f) > 0 : m.hasField(f);
      Validate.FieldRules rules = f.getOptions().getExtension(Validate.rules);
      if (f.isRepeated()) {
        int n = m.getRepeatedFieldCount(f);
        if (f.isMapField()) {
          map(rules, m, f, fp);
        } else {
          repeated(rules, n, fp);
          for (int i = 0; i < n; i++) {
            Object v = m.getRepeatedField(f, i);
            if (rules.hasRepeated() && rules.getRepeated().hasItems()) {
              value(rules.getRepeated().getItems(), f, v, true, fp + "[" + i + "]");
            }
            if (v instanceof Message child) {
              message(child, fp + "[" + i + "]");
            }
          }
        }
        continue;
      }
      if (!set && f.getContainingOneof() != null) {
        continue; // rules of a oneof member apply only when it is the chosen one
      }
      if (!set && f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        if (rules.hasMessage() && rules.getMessage().getRequired()
            || rules.hasDuration() && rules.getDuration().getRequired()
            || rules.hasTimestamp() && rules.getTimestamp().getRequired()
            || rules.hasAny() && rules.getAny().getRequired()) {
          violations.add(fp + ": required");
        }
        continue;
      }
      Object v = m.getField(f);
      value(rules, f, v, set, fp);
      if (v instanceof Message child && set) {
        message(child, fp);
      }
    }
  }

  private void repeated(Validate.FieldRules rules, int n, String path) {
    if (!rules.hasRepeated()) {
      return;
    }
    Validate.RepeatedRules r = rules.getRepeated();
    if (r.hasMinItems() && n < r.getMinItems()) {
      violations.add(path + ": at least " + r.getMinItems() + " items, has " + n);
    }
    if (r.hasMaxItems() && n > r.getMaxItems()) {
      violations.add(path + ": at most " + r.getMaxItems() + " items, has " + n);
    }
  }

  private void map(Validate.FieldRules rules, Message m, FieldDescriptor f, String path) {
    int n = m.getRepeatedFieldCount(f);
    if (rules.hasMap()) {
      if (rules.getMap().hasMinPairs() && n < rules.getMap().getMinPairs()) {
        violations.add(path + ": at least " + rules.getMap().getMinPairs() + " entries");
      }
      if (rules.getMap().hasMaxPairs() && n > rules.getMap().getMaxPairs()) {
        violations.add(path + ": at most " + rules.getMap().getMaxPairs() + " entries");
      }
    }
    FieldDescriptor valueField = f.getMessageType().findFieldByName("value");
    for (int i = 0; i < n; i++) {
      Message entry = (Message) m.getRepeatedField(f, i);
      Object key = entry.getField(f.getMessageType().findFieldByName("key"));
      Object v = entry.getField(valueField);
      if (rules.hasMap() && rules.getMap().hasValues()) {
        value(rules.getMap().getValues(), valueField, v, true, path + "[" + key + "]");
      }
      if (v instanceof Message child) {
        message(child, path + "[" + key + "]");
      }
    }
  }

  /** Rules of one value; wrapper messages (UInt32Value...) are checked on their inner value. */
  private void value(Validate.FieldRules rules, FieldDescriptor f, Object v, boolean set, String path) {
    if (rules.getTypeCase() == Validate.FieldRules.TypeCase.TYPE_NOT_SET) {
      return;
    }
    if (v instanceof Message msg && msg.getDescriptorForType().getFullName().startsWith("google.protobuf.")
        && msg.getDescriptorForType().getName().endsWith("Value")) {
      v = msg.getField(msg.getDescriptorForType().findFieldByName("value"));
    }
    switch (rules.getTypeCase()) {
      case STRING -> string(rules.getString(), (String) v, path);
      case DURATION -> {
        if (v instanceof Message dur) {
          duration(rules.getDuration(), dur, path);
        }
      }
      case ANY -> {
        if (v instanceof Message any) {
          String url = (String) any.getField(any.getDescriptorForType().findFieldByName("type_url"));
          if (rules.getAny().getInCount() > 0 && !rules.getAny().getInList().contains(url)) {
            violations.add(path + ": type " + url + " not allowed");
          }
        }
      }
      case ENUM -> {
        if (rules.getEnum().getDefinedOnly() && v instanceof EnumValueDescriptor e && e.getIndex() < 0) {
          violations.add(path + ": undefined enum value " + e.getNumber());
        }
      }
      case REPEATED, MAP, BOOL, BYTES, TIMESTAMP, TYPE_NOT_SET -> {
        // required handled by the caller; sizes by repeated()/map(); the others are not used on values here
      }
      default -> numeric(rules, v, path);
    }
  }

  private void numeric(Validate.FieldRules rules, Object v, String path) {
    Message r = (Message) rules.getField(rules.getDescriptorForType().findFieldByNumber(rules.getTypeCase().getNumber()));
    double x = ((Number) v).doubleValue();
    if (v instanceof Integer i && r.getDescriptorForType().getName().startsWith("UInt")) {
      x = Integer.toUnsignedLong(i);
    }
    for (Map.Entry<FieldDescriptor, Object> e : r.getAllFields().entrySet()) {
      double bound = ((Number) e.getValue()).doubleValue();
      boolean ok = switch (e.getKey().getName()) {
        case "gt" -> x > bound;
        case "gte" -> x >= bound;
        case "lt" -> x < bound;
        case "lte" -> x <= bound;
        case "const" -> x == bound;
        default -> true;
      };
      if (!ok) {
        violations.add(path + ": " + v + " breaks " + e.getKey().getName() + " " + e.getValue());
      }
    }
  }

  private void string(Validate.StringRules r, String s, String path) {
    int len = s.codePointCount(0, s.length());
    int bytes = s.getBytes(StandardCharsets.UTF_8).length;
    if (r.hasMinLen() && len < r.getMinLen() || r.hasMaxLen() && len > r.getMaxLen()
        || r.hasLen() && len != r.getLen()) {
      violations.add(path + ": length " + len + " outside the rule " + r);
    }
    if (r.hasMinBytes() && bytes < r.getMinBytes() || r.hasMaxBytes() && bytes > r.getMaxBytes()) {
      violations.add(path + ": " + bytes + " bytes outside the rule " + r);
    }
    if (r.hasPrefix() && !s.startsWith(r.getPrefix()) || r.hasSuffix() && !s.endsWith(r.getSuffix())
        || r.hasContains() && !s.contains(r.getContains())) {
      violations.add(path + ": '" + s + "' breaks " + r);
    }
    if (r.getInCount() > 0 && !r.getInList().contains(s) || r.getNotInList().contains(s)) {
      violations.add(path + ": '" + s + "' not an allowed value");
    }
    if (r.hasPattern() && !Pattern.compile(r.getPattern()).matcher(s).find()) {
      violations.add(path + ": '" + s + "' does not match " + r.getPattern());
    }
    if (r.hasWellKnownRegex() && !s.isEmpty()) {
      Pattern p = switch (r.getWellKnownRegex()) {
        case HTTP_HEADER_NAME -> HEADER_NAME;
        case HTTP_HEADER_VALUE -> r.hasStrict() && !r.getStrict() ? HEADER_VALUE_LOOSE : HEADER_VALUE_STRICT;
        default -> null;
      };
      if (p != null && !p.matcher(s).matches()) {
        violations.add(path + ": '" + s + "' is not a valid " + r.getWellKnownRegex());
      }
    }
  }

  private void duration(Validate.DurationRules r, Message d, String path) {
    long nanos = nanos(d);
    boolean ok = (!r.hasGt() || nanos > nanos(r.getGt())) && (!r.hasGte() || nanos >= nanos(r.getGte()))
        && (!r.hasLt() || nanos < nanos(r.getLt())) && (!r.hasLte() || nanos <= nanos(r.getLte()))
        && (!r.hasConst() || nanos == nanos(r.getConst()));
    if (!ok) {
      violations.add(path + ": duration " + nanos + "ns outside " + r.toString().replace('\n', ' '));
    }
  }

  private static long nanos(Message d) {
    Descriptor t = d.getDescriptorForType();
    long s = ((Number) d.getField(t.findFieldByName("seconds"))).longValue();
    int n = ((Number) d.getField(t.findFieldByName("nanos"))).intValue();
    return s * 1_000_000_000L + n;
  }

  private static Any reparse(Message m) {
    try {
      return Any.parseFrom(m.toByteString());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }
}
