package io.meshtrace.xds.validate;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.OneofDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.envoyproxy.pgv.validate.Validate;
import io.envoyproxy.pgv.validate.Validate.FieldRules;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Checks a protobuf message against the {@code validate.rules} (protoc-gen-validate) options
 * carried in Envoy's proto descriptors, read at run time, the way Envoy checks what it receives
 * before it ACKs.
 *
 * <p>Implemented rule kinds: message {@code required}/{@code skip}, message-level
 * {@code disabled}/{@code ignored}, oneof {@code required}, all numeric kinds
 * ({@code const}/{@code lt}/{@code lte}/{@code gt}/{@code gte}/{@code in}/{@code not_in}, also on
 * wrapper types), bool {@code const}, string length/bytes/prefix/suffix/contains/in/not_in/
 * pattern and {@code well_known_regex} header name/value (strict and loose), bytes length,
 * enum {@code defined_only}/{@code in}/{@code not_in}, repeated {@code min_items}/
 * {@code max_items}/{@code unique}/{@code items}, map {@code min_pairs}/{@code max_pairs}/
 * {@code keys}/{@code values}, any {@code required}/{@code in}/{@code not_in} and duration
 * {@code required}/range rules. {@code Any} fields are unpacked and checked when their type is
 * registered.
 *
 * <p>A violation reads {@code filter_chains[0].filters[0].typed_config
 * <envoy...HttpConnectionManager>.tracing.random_sampling.value=140.0: must be <= 100.0}.
 */
public final class EnvoyRules {

  // Envoy's own patterns for validate.KnownRegex (strict), and the loose form (no NUL, CR, LF).
  private static final Pattern HEADER_NAME_STRICT =
      Pattern.compile("^:?[0-9a-zA-Z!#$%&'*+\\-.^_|~`]+$");
  private static final Pattern HEADER_VALUE_STRICT =
      Pattern.compile("^[^\\u0000-\\u0008\\u000A-\\u001F\\u007F]*$");
  private static final Pattern LOOSE = Pattern.compile("^[^\\u0000\\u000A\\u000D]*$");

  private static final Map<String, Pattern> PATTERNS = new ConcurrentHashMap<>();

  /** Default instances by type URL: {@code Any} payloads are parsed with generated parsers. */
  private final Map<String, Message> anyTypes;
  /** Rules of each message type, resolved once (shared by {@link #memoizing()} copies). */
  private final Map<Descriptor, CompiledType> compiled;
  /** Results by checked message and by {@code Any} payload; null when not memoizing. */
  private final Map<Message, List<String>> checkedMessages;
  private final Map<Any, List<String>> checkedAnys;
  /** The results of an earlier build, read (never written) first; null for none. */
  private final EnvoyRules earlier;

  /**
   * Creates a checker that unpacks {@code Any} fields of the given message types.
   *
   * @param anyTypes default instances of every type that may appear inside an {@code Any}
   */
  public EnvoyRules(List<? extends Message> anyTypes) {
    Map<String, Message> types = new HashMap<>();
    for (Message m : anyTypes) {
      types.put("type.googleapis.com/" + m.getDescriptorForType().getFullName(),
          m.getDefaultInstanceForType());
    }
    this.anyTypes = Map.copyOf(types);
    this.compiled = new ConcurrentHashMap<>();
    this.checkedMessages = null;
    this.checkedAnys = null;
    this.earlier = null;
  }

  private EnvoyRules(EnvoyRules shared, EnvoyRules earlier) {
    this.anyTypes = shared.anyTypes;
    this.compiled = shared.compiled;
    this.checkedMessages = new ConcurrentHashMap<>();
    this.checkedAnys = new ConcurrentHashMap<>();
    this.earlier = earlier == null || earlier.checkedMessages == null ? null : earlier;
  }

  /**
   * A checker for one build that remembers its results: a message equal to one it already
   * checked (a whole resource, or an {@code Any} payload) is not walked again. Results are a
   * function of the message alone, so they are the same as without memoizing. Safe for the
   * threads of one build; drop it when the build is done (it holds every message it checked).
   */
  public EnvoyRules memoizing() {
    return new EnvoyRules(this, null);
  }

  /**
   * {@link #memoizing()} that also takes the results of {@code earlier} (a memoizing checker of
   * an earlier build, done with and no longer written; may be null): after a config change most
   * resources equal one checked last time (a sampling change rewrites the listeners only), and
   * those are not walked again. Only the results this build uses are kept, so chaining builds
   * does not grow the memory.
   */
  public EnvoyRules memoizing(EnvoyRules earlier) {
    return new EnvoyRules(this, earlier);
  }

  /** Distinct messages and {@code Any} payloads this memoizing checker holds results of. */
  public int remembered() {
    return checkedMessages == null ? 0 : checkedMessages.size() + checkedAnys.size();
  }

  /** Returns one line per violated rule; empty when the message passes. */
  public List<String> check(Message message) {
    if (checkedMessages != null) {
      List<String> done = checkedMessages.get(message);
      if (done == null && earlier != null) {
        done = earlier.checkedMessages.get(message);
        if (done != null) {
          checkedMessages.put(message, done);
        }
      }
      if (done != null) {
        return done;
      }
    }
    List<String> out = new ArrayList<>();
    message(message, "", out);
    List<String> result = List.copyOf(out);
    if (checkedMessages != null) {
      checkedMessages.put(message, result);
    }
    return result;
  }

  /**
   * One message type's rules, resolved from its descriptor once: the required oneofs and the
   * fields that can fail (a field without rules whose type cannot fail either is left out).
   */
  private static final class CompiledType {
    /** Disabled, ignored, or nothing in it can fail: not walked. */
    final boolean skip;
    final boolean any;
    final List<OneofDescriptor> requiredOneofs;
    final List<CompiledField> fields;

    CompiledType(boolean skip, boolean any, List<OneofDescriptor> requiredOneofs,
        List<CompiledField> fields) {
      this.skip = skip;
      this.any = any;
      this.requiredOneofs = requiredOneofs;
      this.fields = fields;
    }
  }

  private static final class CompiledField {
    final FieldDescriptor field;
    final FieldRules rules;
    final String name;
    final boolean message;
    final boolean inOneof;
    final boolean requiredWhenUnset;

    CompiledField(FieldDescriptor field, FieldRules rules) {
      this.field = field;
      this.rules = rules;
      this.name = field.getName();
      this.message = field.getJavaType() == FieldDescriptor.JavaType.MESSAGE;
      this.inOneof = field.getRealContainingOneof() != null;
      this.requiredWhenUnset = rules.getMessage().getRequired()
          || (rules.hasDuration() && rules.getDuration().getRequired())
          || (rules.hasAny() && rules.getAny().getRequired())
          || (rules.hasTimestamp() && rules.getTimestamp().getRequired());
    }
  }

  private CompiledType compiled(Descriptor d) {
    CompiledType c = compiled.get(d);
    return c != null ? c : compile(d, new HashSet<>());
  }

  private CompiledType compile(Descriptor d, Set<Descriptor> visiting) {
    CompiledType c = compiled.get(d);
    if (c != null) {
      return c;
    }
    visiting.add(d);
    boolean any = d.getFullName().equals(Any.getDescriptor().getFullName());
    List<OneofDescriptor> oneofs = new ArrayList<>();
    List<CompiledField> fields = new ArrayList<>();
    boolean disabled = d.getOptions().getExtension(Validate.disabled)
        || d.getOptions().getExtension(Validate.ignored);
    if (!disabled && !any) {
      for (OneofDescriptor oneof : d.getRealOneofs()) {
        if (oneof.getOptions().getExtension(Validate.required)) {
          oneofs.add(oneof);
        }
      }
      for (FieldDescriptor f : d.getFields()) {
        FieldRules rules = f.getOptions().getExtension(Validate.rules);
        if (!rules.equals(FieldRules.getDefaultInstance()) || (f.getJavaType()
            == FieldDescriptor.JavaType.MESSAGE && canFail(f.getMessageType(), visiting))) {
          fields.add(new CompiledField(f, rules));
        }
      }
    }
    boolean skip = disabled || (!any && oneofs.isEmpty() && fields.isEmpty());
    c = new CompiledType(skip, any, List.copyOf(oneofs), List.copyOf(fields));
    visiting.remove(d);
    CompiledType raced = compiled.putIfAbsent(d, c);
    return raced != null ? raced : c;
  }

  private boolean canFail(Descriptor d, Set<Descriptor> visiting) {
    if (visiting.contains(d)) {
      // A recursive type: assume it can fail (only costs a walk).
      return true;
    }
    return !compile(d, visiting).skip;
  }

  private void message(Message m, String path, List<String> out) {
    CompiledType c = compiled(m.getDescriptorForType());
    if (c.skip) {
      return;
    }
    if (c.any) {
      any(m, path, out);
      return;
    }
    for (OneofDescriptor oneof : c.requiredOneofs) {
      if (!m.hasOneof(oneof)) {
        out.add(join(path, oneof.getName()) + "=(unset): exactly one of "
            + fieldNames(oneof) + " is required");
      }
    }
    for (CompiledField cf : c.fields) {
      FieldDescriptor f = cf.field;
      FieldRules rules = cf.rules;
      if (f.isMapField()) {
        map(m, f, rules, join(path, cf.name), out);
      } else if (f.isRepeated()) {
        if (m.getRepeatedFieldCount(f) > 0 || rules != FieldRules.getDefaultInstance()) {
          repeated(m, f, rules, join(path, cf.name), out);
        }
      } else {
        if (cf.inOneof && !m.hasField(f)) {
          // Rules of a oneof member apply only when that member is the one set.
          continue;
        }
        boolean present = f.hasPresence() ? m.hasField(f) : true;
        if (cf.message && !present) {
          if (cf.requiredWhenUnset) {
            out.add(join(path, cf.name) + "=(unset): value is required");
          }
          continue;
        }
        value(f, m.getField(f), rules, join(path, cf.name), out);
      }
    }
  }

  private void value(FieldDescriptor f, Object v, FieldRules rules, String path,
      List<String> out) {
    if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
      Message msg = (Message) v;
      String type = msg.getDescriptorForType().getFullName();
      if (type.startsWith("google.protobuf.") && type.endsWith("Value")
          && msg.getDescriptorForType().findFieldByName("value") != null
          && hasScalarRules(rules)) {
        FieldDescriptor inner = msg.getDescriptorForType().findFieldByName("value");
        scalar(inner, msg.getField(inner), rules, path, out);
        return;
      }
      if (rules.hasDuration()) {
        duration(msg, rules.getDuration(), path, out);
      }
      if (rules.hasAny()) {
        anyRules(msg, rules.getAny(), path, out);
      }
      if (!rules.getMessage().getSkip()) {
        message(msg, path, out);
      }
      return;
    }
    scalar(f, v, rules, path, out);
  }

  private static boolean hasScalarRules(FieldRules r) {
    return r.hasDouble() || r.hasFloat() || r.hasInt32() || r.hasInt64() || r.hasUint32()
        || r.hasUint64() || r.hasString() || r.hasBytes() || r.hasBool();
  }

  private void scalar(FieldDescriptor f, Object v, FieldRules rules, String path,
      List<String> out) {
    switch (rules.getTypeCase()) {
      case STRING:
        string((String) v, rules.getString(), path, out);
        break;
      case BYTES:
        bytes((ByteString) v, rules.getBytes(), path, out);
        break;
      case ENUM:
        enumRules(f, (EnumValueDescriptor) v, rules.getEnum(), path, out);
        break;
      case BOOL:
        if (rules.getBool().hasConst() && rules.getBool().getConst() != (Boolean) v) {
          out.add(path + "=" + v + ": must be " + rules.getBool().getConst());
        }
        break;
      case TYPE_NOT_SET:
        break;
      default:
        number(f, v, rules, path, out);
    }
  }

  /** All numeric rule messages share field names: read them by reflection. */
  private static void number(FieldDescriptor f, Object v, FieldRules rules, String path,
      List<String> out) {
    FieldDescriptor kind = FieldRules.getDescriptor().findFieldByNumber(
        rules.getTypeCase().getNumber());
    if (kind == null) {
      return;
    }
    Message r = (Message) rules.getField(kind);
    BigDecimal value = decimal(f, v);
    if (value == null) {
      return;
    }
    NumberFields nf = NUMBER_FIELDS.computeIfAbsent(r.getDescriptorForType(), NumberFields::new);
    if (nf.ignoreEmpty != null && r.hasField(nf.ignoreEmpty) && (Boolean) r.getField(nf.ignoreEmpty)
        && value.signum() == 0) {
      return;
    }
    BigDecimal c = bound(r, f, nf.constant);
    if (c != null && value.compareTo(c) != 0) {
      out.add(path + "=" + display(f, v) + ": must equal "
          + c.stripTrailingZeros().toPlainString());
    }
    BigDecimal lt = bound(r, f, nf.lt);
    BigDecimal lte = bound(r, f, nf.lte);
    BigDecimal gt = bound(r, f, nf.gt);
    BigDecimal gte = bound(r, f, nf.gte);
    BigDecimal lower = gt != null ? gt : gte;
    BigDecimal upper = lt != null ? lt : lte;
    boolean lowOk = gt != null ? value.compareTo(gt) > 0
        : gte == null || value.compareTo(gte) >= 0;
    boolean highOk = lt != null ? value.compareTo(lt) < 0
        : lte == null || value.compareTo(lte) <= 0;
    boolean exclusiveRange = lower != null && upper != null && lower.compareTo(upper) > 0;
    boolean ok = exclusiveRange ? (lowOk || highOk) : (lowOk && highOk);
    if (!ok) {
      StringBuilder b = new StringBuilder(path).append('=').append(display(f, v))
          .append(": must be ");
      if (lower != null) {
        b.append(gt != null ? "> " : ">= ").append(lower.stripTrailingZeros().toPlainString());
      }
      if (lower != null && upper != null) {
        b.append(exclusiveRange ? " or " : " and ");
      }
      if (upper != null) {
        b.append(lt != null ? "< " : "<= ").append(upper.stripTrailingZeros().toPlainString());
      }
      out.add(b.toString());
    }
    FieldDescriptor in = nf.in;
    if (in != null && r.getRepeatedFieldCount(in) > 0) {
      boolean found = false;
      for (int i = 0; i < r.getRepeatedFieldCount(in); i++) {
        found |= decimal(f, r.getRepeatedField(in, i)).compareTo(value) == 0;
      }
      if (!found) {
        out.add(path + "=" + display(f, v) + ": must be one of " + r.getField(in));
      }
    }
    FieldDescriptor notIn = nf.notIn;
    if (notIn != null) {
      for (int i = 0; i < r.getRepeatedFieldCount(notIn); i++) {
        if (decimal(f, r.getRepeatedField(notIn, i)).compareTo(value) == 0) {
          out.add(path + "=" + display(f, v) + ": must not be one of " + r.getField(notIn));
        }
      }
    }
  }

  private static final Map<Descriptor, NumberFields> NUMBER_FIELDS = new ConcurrentHashMap<>();

  /** The fields of one numeric rule message ({@code UInt32Rules}, ...), looked up once. */
  private static final class NumberFields {
    final FieldDescriptor ignoreEmpty;
    final FieldDescriptor constant;
    final FieldDescriptor lt;
    final FieldDescriptor lte;
    final FieldDescriptor gt;
    final FieldDescriptor gte;
    final FieldDescriptor in;
    final FieldDescriptor notIn;

    NumberFields(Descriptor d) {
      ignoreEmpty = d.findFieldByName("ignore_empty");
      constant = d.findFieldByName("const");
      lt = d.findFieldByName("lt");
      lte = d.findFieldByName("lte");
      gt = d.findFieldByName("gt");
      gte = d.findFieldByName("gte");
      in = d.findFieldByName("in");
      notIn = d.findFieldByName("not_in");
    }
  }

  private static BigDecimal bound(Message r, FieldDescriptor f, FieldDescriptor b) {
    return b != null && r.hasField(b) ? decimal(f, r.getField(b)) : null;
  }

  private static BigDecimal decimal(FieldDescriptor f, Object v) {
    if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      return Double.isFinite(d) ? BigDecimal.valueOf(d) : null;
    }
    if (v instanceof Integer) {
      boolean unsigned = f.getType() == FieldDescriptor.Type.UINT32
          || f.getType() == FieldDescriptor.Type.FIXED32;
      return unsigned ? BigDecimal.valueOf(Integer.toUnsignedLong((Integer) v))
          : BigDecimal.valueOf((Integer) v);
    }
    if (v instanceof Long) {
      boolean unsigned = f.getType() == FieldDescriptor.Type.UINT64
          || f.getType() == FieldDescriptor.Type.FIXED64;
      return unsigned ? new BigDecimal(Long.toUnsignedString((Long) v))
          : BigDecimal.valueOf((Long) v);
    }
    return null;
  }

  private static String display(FieldDescriptor f, Object v) {
    BigDecimal d = decimal(f, v);
    return d == null ? String.valueOf(v) : String.valueOf(v instanceof Double ? v : d);
  }

  private static void string(String s, Validate.StringRules r, String path, List<String> out) {
    if (r.getIgnoreEmpty() && s.isEmpty()) {
      return;
    }
    int before = out.size();
    long chars = r.hasLen() || r.hasMinLen() || r.hasMaxLen()
        ? s.codePointCount(0, s.length()) : 0;
    long bytes = r.hasLenBytes() || r.hasMinBytes() || r.hasMaxBytes()
        ? s.getBytes(StandardCharsets.UTF_8).length : 0;
    if (r.hasConst() && !r.getConst().equals(s)) {
      out.add("must equal \"" + r.getConst() + "\"");
    }
    if (r.hasLen() && chars != r.getLen()) {
      out.add("length must be " + r.getLen());
    }
    if (r.hasMinLen() && chars < r.getMinLen()) {
      out.add("length must be at least " + r.getMinLen());
    }
    if (r.hasMaxLen() && chars > r.getMaxLen()) {
      out.add("length must be at most " + r.getMaxLen());
    }
    if (r.hasLenBytes() && bytes != r.getLenBytes()) {
      out.add("must be " + r.getLenBytes() + " bytes");
    }
    if (r.hasMinBytes() && bytes < r.getMinBytes()) {
      out.add("must be at least " + r.getMinBytes() + " bytes");
    }
    if (r.hasMaxBytes() && bytes > r.getMaxBytes()) {
      out.add("must be at most " + r.getMaxBytes() + " bytes");
    }
    if (r.hasPrefix() && !s.startsWith(r.getPrefix())) {
      out.add("must start with \"" + r.getPrefix() + "\"");
    }
    if (r.hasSuffix() && !s.endsWith(r.getSuffix())) {
      out.add("must end with \"" + r.getSuffix() + "\"");
    }
    if (r.hasContains() && !s.contains(r.getContains())) {
      out.add("must contain \"" + r.getContains() + "\"");
    }
    if (r.hasNotContains() && s.contains(r.getNotContains())) {
      out.add("must not contain \"" + r.getNotContains() + "\"");
    }
    if (r.getInCount() > 0 && !r.getInList().contains(s)) {
      out.add("must be one of " + r.getInList());
    }
    if (r.getNotInList().contains(s)) {
      out.add("must not be one of " + r.getNotInList());
    }
    if (r.hasPattern()
        && !PATTERNS.computeIfAbsent(r.getPattern(), Pattern::compile).matcher(s).find()) {
      out.add("must match " + r.getPattern());
    }
    if (r.hasWellKnownRegex()) {
      boolean strict = !r.hasStrict() || r.getStrict();
      Pattern p;
      String what;
      switch (r.getWellKnownRegex()) {
        case HTTP_HEADER_NAME:
          p = strict ? HEADER_NAME_STRICT : LOOSE;
          what = "an HTTP header name";
          break;
        case HTTP_HEADER_VALUE:
          p = strict ? HEADER_VALUE_STRICT : LOOSE;
          what = "an HTTP header value";
          break;
        default:
          p = null;
          what = "";
      }
      if (p != null && !p.matcher(s).matches()) {
        out.add("must be " + what);
      }
    }
    if (out.size() > before) {
      // The shown value is built only for a string that broke a rule.
      String shown = path + "=\"" + printable(s) + "\": ";
      for (int k = before; k < out.size(); k++) {
        out.set(k, shown + out.get(k));
      }
    }
  }

  private static void bytes(ByteString b, Validate.BytesRules r, String path, List<String> out) {
    if (r.getIgnoreEmpty() && b.isEmpty()) {
      return;
    }
    if (r.hasLen() && b.size() != r.getLen()) {
      out.add(path + "=(" + b.size() + " bytes): length must be " + r.getLen());
    }
    if (r.hasMinLen() && b.size() < r.getMinLen()) {
      out.add(path + "=(" + b.size() + " bytes): length must be at least " + r.getMinLen());
    }
    if (r.hasMaxLen() && b.size() > r.getMaxLen()) {
      out.add(path + "=(" + b.size() + " bytes): length must be at most " + r.getMaxLen());
    }
  }

  private static void enumRules(FieldDescriptor f, EnumValueDescriptor v, Validate.EnumRules r,
      String path, List<String> out) {
    int n = v.getNumber();
    if (r.getDefinedOnly() && f.getEnumType().findValueByNumber(n) == null) {
      out.add(path + "=" + n + ": must be a defined " + f.getEnumType().getName() + " value");
    }
    if (r.hasConst() && r.getConst() != n) {
      out.add(path + "=" + n + ": must equal " + r.getConst());
    }
    if (r.getInCount() > 0 && !r.getInList().contains(n)) {
      out.add(path + "=" + n + ": must be one of " + r.getInList());
    }
    if (r.getNotInList().contains(n)) {
      out.add(path + "=" + n + ": must not be one of " + r.getNotInList());
    }
  }

  private static void duration(Message m, Validate.DurationRules r, String path,
      List<String> out) {
    com.google.protobuf.Duration d = asDuration(m);
    BigDecimal v = seconds(d);
    String shown = path + "=" + v.stripTrailingZeros().toPlainString() + "s: ";
    if (d.getNanos() < -999_999_999 || d.getNanos() > 999_999_999
        || (d.getSeconds() > 0 && d.getNanos() < 0) || (d.getSeconds() < 0 && d.getNanos() > 0)) {
      out.add(shown + "is not a valid duration");
    }
    if (r.hasConst() && v.compareTo(seconds(r.getConst())) != 0) {
      out.add(shown + "must equal " + seconds(r.getConst()).toPlainString() + "s");
    }
    if (r.hasLt() && v.compareTo(seconds(r.getLt())) >= 0) {
      out.add(shown + "must be < " + seconds(r.getLt()).stripTrailingZeros().toPlainString()
          + "s");
    }
    if (r.hasLte() && v.compareTo(seconds(r.getLte())) > 0) {
      out.add(shown + "must be <= " + seconds(r.getLte()).stripTrailingZeros().toPlainString()
          + "s");
    }
    if (r.hasGt() && v.compareTo(seconds(r.getGt())) <= 0) {
      out.add(shown + "must be > " + seconds(r.getGt()).stripTrailingZeros().toPlainString()
          + "s");
    }
    if (r.hasGte() && v.compareTo(seconds(r.getGte())) < 0) {
      out.add(shown + "must be >= " + seconds(r.getGte()).stripTrailingZeros().toPlainString()
          + "s");
    }
    if (r.getInCount() > 0) {
      boolean found = false;
      for (com.google.protobuf.Duration x : r.getInList()) {
        found |= seconds(x).compareTo(v) == 0;
      }
      if (!found) {
        out.add(shown + "must be one of the allowed durations");
      }
    }
    for (com.google.protobuf.Duration x : r.getNotInList()) {
      if (seconds(x).compareTo(v) == 0) {
        out.add(shown + "must not be " + seconds(x).toPlainString() + "s");
      }
    }
  }

  private static com.google.protobuf.Duration asDuration(Message m) {
    if (m instanceof com.google.protobuf.Duration) {
      return (com.google.protobuf.Duration) m;
    }
    try {
      return com.google.protobuf.Duration.parseFrom(m.toByteString());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  private static BigDecimal seconds(com.google.protobuf.Duration d) {
    return BigDecimal.valueOf(d.getSeconds()).add(BigDecimal.valueOf(d.getNanos(), 9));
  }

  private void anyRules(Message m, Validate.AnyRules r, String path, List<String> out) {
    String url = (String) m.getField(m.getDescriptorForType().findFieldByName("type_url"));
    if (r.getInCount() > 0 && !r.getInList().contains(url)) {
      out.add(path + ".type_url=" + url + ": must be one of " + r.getInList());
    }
    if (r.getNotInList().contains(url)) {
      out.add(path + ".type_url=" + url + ": must not be one of " + r.getNotInList());
    }
  }

  private void any(Message m, String path, List<String> out) {
    Any a;
    if (m instanceof Any) {
      a = (Any) m;
    } else {
      Descriptor ad = m.getDescriptorForType();
      a = Any.newBuilder()
          .setTypeUrl((String) m.getField(ad.findFieldByName("type_url")))
          .setValue((ByteString) m.getField(ad.findFieldByName("value")))
          .build();
    }
    String url = a.getTypeUrl();
    Message type = anyTypes.get(url);
    if (type == null) {
      out.add(path + ".type_url=" + url + ": type not known to this control plane");
      return;
    }
    List<String> relative = checkedAnys == null ? null : checkedAnys.get(a);
    if (relative == null && earlier != null) {
      relative = earlier.checkedAnys.get(a);
      if (relative != null) {
        checkedAnys.put(a, relative);
      }
    }
    if (relative == null) {
      // Lines are kept relative to the Any's own path, which each use prepends.
      List<String> lines = new ArrayList<>();
      try {
        Message inner = type.getParserForType().parseFrom(a.getValue());
        message(inner, "<" + type.getDescriptorForType().getFullName() + ">", lines);
      } catch (InvalidProtocolBufferException e) {
        lines.add("=" + url + ": cannot be parsed: " + e.getMessage());
      }
      relative = List.copyOf(lines);
      if (checkedAnys != null) {
        checkedAnys.put(a, relative);
      }
    }
    for (String line : relative) {
      out.add(path + line);
    }
  }

  private void repeated(Message m, FieldDescriptor f, FieldRules rules, String path,
      List<String> out) {
    int n = m.getRepeatedFieldCount(f);
    Validate.RepeatedRules r = rules.getRepeated();
    if (!(r.getIgnoreEmpty() && n == 0)) {
      if (r.hasMinItems() && n < r.getMinItems()) {
        out.add(path + "=(" + n + " items): must have at least " + r.getMinItems() + " items");
      }
      if (r.hasMaxItems() && n > r.getMaxItems()) {
        out.add(path + "=(" + n + " items): must have at most " + r.getMaxItems() + " items");
      }
      if (r.getUnique()) {
        Set<Object> seen = new HashSet<>();
        for (int i = 0; i < n; i++) {
          if (!seen.add(m.getRepeatedField(f, i))) {
            out.add(path + "[" + i + "]: items must be unique");
          }
        }
      }
    }
    FieldRules items = r.hasItems() ? r.getItems() : FieldRules.getDefaultInstance();
    for (int i = 0; i < n; i++) {
      value(f, m.getRepeatedField(f, i), items, path + "[" + i + "]", out);
    }
  }

  private void map(Message m, FieldDescriptor f, FieldRules rules, String path,
      List<String> out) {
    int n = m.getRepeatedFieldCount(f);
    Validate.MapRules r = rules.getMap();
    if (!(r.getIgnoreEmpty() && n == 0)) {
      if (r.hasMinPairs() && n < r.getMinPairs()) {
        out.add(path + "=(" + n + " pairs): must have at least " + r.getMinPairs() + " pairs");
      }
      if (r.hasMaxPairs() && n > r.getMaxPairs()) {
        out.add(path + "=(" + n + " pairs): must have at most " + r.getMaxPairs() + " pairs");
      }
    }
    Descriptor entry = f.getMessageType();
    FieldDescriptor kf = entry.findFieldByName("key");
    FieldDescriptor vf = entry.findFieldByName("value");
    for (int i = 0; i < n; i++) {
      Message e = (Message) m.getRepeatedField(f, i);
      Object key = e.getField(kf);
      String ep = path + "[" + key + "]";
      if (r.hasKeys()) {
        value(kf, key, r.getKeys(), ep + "(key)", out);
      }
      value(vf, e.getField(vf), r.hasValues() ? r.getValues() : FieldRules.getDefaultInstance(),
          ep, out);
    }
  }

  private static String fieldNames(OneofDescriptor oneof) {
    List<String> names = new ArrayList<>();
    oneof.getFields().forEach(f -> names.add(f.getName()));
    return names.toString();
  }

  private static String join(String path, String name) {
    return path.isEmpty() ? name : path + "." + name;
  }

  private static String printable(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length() && i < 80; i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        b.append(String.format("\\x%02x", (int) c));
      } else {
        b.append(c);
      }
    }
    return s.length() > 80 ? b + "..." : b.toString();
  }
}
