package io.meshtrace.xds.config;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.io.ContentReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;

/**
 * The config as text: one YAML document (the file) or one JSON value (an admin API body) read
 * into a tree, and a tree written back as YAML, all within one size limit.
 *
 * <p>Reading is strict where YAML is loose, because each looseness silently changes the mesh:
 * a duplicate key keeps only its last value, a second document ({@code ---}) is dropped, an
 * alias ({@code *name}) reads as the string {@code name} (the YAML reader underneath works on
 * events, below where SnakeYAML's own duplicate-key and alias options apply). Each is an error
 * naming the line and the key path. An empty file, or one of only comments or {@code ---}, is
 * not a mesh.
 *
 * <p>{@link #MAX_BYTES} bounds the file, this reader, the admin API's request body and the file
 * the admin API writes, so whatever the API accepts the server reads back on restart. Lines of
 * YAML are bounded too ({@link #MAX_LINE_CHARS}): SnakeYAML's time grows with the square of a
 * line's length (measured: a 4 MiB single line takes about 10 s, 4 MiB in 64 KiB lines well
 * under 1 s).
 */
public final class ConfigText {

  /**
   * Largest config accepted, in bytes of UTF-8: 4 MiB, about 13,000 services of the shape
   * {@code benchmarks} generates (one port, two endpoints, three dependencies each).
   */
  public static final int MAX_BYTES = 4 << 20;

  /** Longest line of YAML accepted, in characters. */
  public static final int MAX_LINE_CHARS = 64 << 10;

  private static final int MAX_DEPTH = 64;
  private static final int MAX_MESSAGE = 200;
  private static final String JACKSON_SOURCE =
      "Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); ";
  private static final Set<String> CORE_TAGS = Set.of("tag:yaml.org,2002:str",
      "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
      "tag:yaml.org,2002:null", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq");
  private static final String NO_MESH = "the file holds no mesh: it is empty or only comments"
      + " or ---; a mesh without services is written `services: []`";

  private static final StreamReadConstraints LIMITS = StreamReadConstraints.builder()
      .maxNestingDepth(MAX_DEPTH).maxStringLength(MAX_BYTES).maxDocumentLength(MAX_BYTES)
      .build();
  private static final YAMLFactory YAML = YAMLFactory.builder()
      .loaderOptions(loaderOptions())
      .streamReadConstraints(LIMITS)
      .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
      .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
      // Without it the string "1.10" is written as 1.10 and reads back as the number 1.1.
      .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
      .stringQuotingChecker(new YamlQuoting())
      .build();
  private static final ObjectMapper YAML_WRITER = new ObjectMapper(YAML);
  private static final JsonFactory JSON = JsonFactory.builder()
      .streamReadConstraints(LIMITS).build();

  private ConfigText() {}

  private static LoaderOptions loaderOptions() {
    LoaderOptions o = new LoaderOptions();
    // Code points never outnumber UTF-8 bytes: every file within MAX_BYTES fits.
    o.setCodePointLimit(MAX_BYTES);
    return o;
  }

  /**
   * The problem with a config of {@code bytes} bytes, or null when it is within
   * {@link #MAX_BYTES}: {@code "is 5000000 bytes; the limit is 4194304 bytes (4 MiB)"}.
   */
  public static String sizeProblem(long bytes) {
    return bytes <= MAX_BYTES ? null
        : "is " + bytes + " bytes; the limit is " + MAX_BYTES + " bytes (4 MiB)";
  }

  /**
   * The problem with YAML text that has a line over {@link #MAX_LINE_CHARS}, or null:
   * {@code "line 3 is 70000 characters long; the limit is 65536"}.
   */
  public static String lineProblem(String text) {
    int line = 1;
    int start = 0;
    for (int i = 0; i <= text.length(); i++) {
      if (i == text.length() || text.charAt(i) == '\n') {
        if (i - start > MAX_LINE_CHARS) {
          return "line " + line + " is " + (i - start) + " characters long; the limit is "
              + MAX_LINE_CHARS;
        }
        line++;
        start = i + 1;
      }
    }
    return null;
  }

  /** Reads one YAML document. Problems name the line: {@code yaml: line 7: ...}. */
  public static JsonNode readYaml(String text) throws ConfigException {
    checkSize("yaml", utf8Length(text));
    String line = lineProblem(text);
    if (line != null) {
      throw new ConfigException(List.of("yaml: " + line));
    }
    try {
      return checkNotEmpty(read(YAML.createParser(text), "yaml"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Reads one YAML document from UTF-8 bytes; bytes that are not UTF-8 are a problem. */
  public static JsonNode readYaml(byte[] utf8) throws ConfigException {
    checkSize("yaml", utf8.length);
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(utf8)).toString();
    } catch (CharacterCodingException e) {
      throw new ConfigException(List.of("yaml: the file is not UTF-8 text"));
    }
    return readYaml(text);
  }

  /** Reads exactly one JSON value; trailing data or a second value is a problem. */
  public static JsonNode readJson(byte[] utf8) throws ConfigException {
    checkSize("json", utf8.length);
    try {
      return read(JSON.createParser(utf8), "json");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Reads exactly one JSON value from text. */
  public static JsonNode readJson(String text) throws ConfigException {
    return readJson(text.getBytes(StandardCharsets.UTF_8));
  }

  /** Writes a tree as one YAML document that {@link #readYaml} reads back to an equal tree. */
  public static String writeYaml(JsonNode tree) {
    try {
      return YAML_WRITER.writeValueAsString(tree);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write config tree as YAML", e);
    }
  }

  private static void checkSize(String format, long bytes) throws ConfigException {
    String p = sizeProblem(bytes);
    if (p != null) {
      throw new ConfigException(List.of(format + ": the config " + p));
    }
  }

  private static JsonNode checkNotEmpty(JsonNode root) throws ConfigException {
    if (root == null || root.isNull() || root.isTextual() && root.textValue().isEmpty()) {
      throw new ConfigException(List.of("yaml: " + NO_MESH));
    }
    return root;
  }

  private static JsonNode read(JsonParser p, String format) throws ConfigException, IOException {
    try (p) {
      JsonToken first = p.nextToken();
      if (first == null) {
        if (format.equals("json")) {
          throw new ConfigException(List.of("json: the body is empty; send a JSON object"));
        }
        return null;
      }
      JsonNode root = new TreeReader(p, format).value(first);
      if (p.nextToken() != null) {
        throw new ConfigException(List.of(format + ": " + at(p.currentTokenLocation())
            + (format.equals("yaml")
                ? "a second document starts here; the config is one YAML document"
                : "data after the JSON value; send one JSON object")));
      }
      return root;
    } catch (JsonProcessingException e) {
      throw new ConfigException(List.of(format + ": " + describe(e, p.currentTokenLocation())));
    }
  }

  /**
   * Builds the tree token by token, keeping the key path it stands on (rendered only for a
   * problem), so that duplicate keys, anchors and aliases are reported where they are.
   */
  private static final class TreeReader {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private final JsonParser p;
    private final YAMLParser yaml;
    private final String format;
    /** Keys (String) and list indexes (Integer) from the root to here. */
    private final ArrayDeque<Object> path = new ArrayDeque<>();

    TreeReader(JsonParser p, String format) {
      this.p = p;
      this.yaml = p instanceof YAMLParser y ? y : null;
      this.format = format;
    }

    JsonNode value(JsonToken t) throws IOException, ConfigException {
      checkYamlMarks();
      switch (t) {
        case START_OBJECT:
          return object();
        case START_ARRAY:
          ArrayNode a = NODES.arrayNode();
          JsonToken item;
          while ((item = p.nextToken()) != JsonToken.END_ARRAY) {
            path.addLast(a.size());
            a.add(value(item));
            path.removeLast();
          }
          return a;
        case VALUE_STRING:
          return NODES.textNode(p.getText());
        case VALUE_NUMBER_INT:
          switch (p.getNumberType()) {
            case INT:
              return NODES.numberNode(p.getIntValue());
            case LONG:
              return NODES.numberNode(p.getLongValue());
            default:
              return NODES.numberNode(p.getBigIntegerValue());
          }
        case VALUE_NUMBER_FLOAT:
          return NODES.numberNode(p.getDoubleValue());
        case VALUE_TRUE:
          return NODES.booleanNode(true);
        case VALUE_FALSE:
          return NODES.booleanNode(false);
        case VALUE_NULL:
          return NODES.nullNode();
        default:
          throw fail("binary or other tagged data is not a config value");
      }
    }

    private ObjectNode object() throws IOException, ConfigException {
      ObjectNode o = NODES.objectNode();
      Map<String, Integer> lines = new HashMap<>();
      while (p.nextToken() != JsonToken.END_OBJECT) {
        String key = p.currentName();
        path.addLast(key);
        checkYamlMarks();
        Integer first = lines.putIfAbsent(key, p.currentTokenLocation().getLineNr());
        if (first != null) {
          throw fail("duplicate key (first on line " + first + ")");
        }
        o.set(key, value(p.nextToken()));
        path.removeLast();
      }
      return o;
    }

    private void checkYamlMarks() throws IOException, ConfigException {
      if (yaml == null) {
        return;
      }
      if (yaml.isCurrentAlias()) {
        throw fail("alias *" + ValueSyntax.shorten(yaml.getText(), 40)
            + ": anchors and aliases are not supported; write the value out");
      }
      Object anchor = yaml.getObjectId(); // YAML anchors are Jackson's object ids
      if (anchor != null) {
        throw fail("anchor &" + ValueSyntax.shorten(anchor.toString(), 40)
            + ": anchors and aliases are not supported; write the value out");
      }
      String tag = yaml.getTypeId();
      if (tag != null && !CORE_TAGS.contains(tag)) {
        throw fail("tag !" + ValueSyntax.shorten(tag, 40) + " is not supported");
      }
    }

    private ConfigException fail(String problem) {
      StringBuilder b = new StringBuilder();
      for (Object segment : path) {
        if (segment instanceof Integer i) {
          b.append('[').append(i).append(']');
        } else {
          b.append(b.length() == 0 ? "" : ".").append(ValueSyntax.shorten((String) segment, 60));
        }
      }
      return new ConfigException(List.of(format + ": " + at(p.currentTokenLocation())
          + (b.length() == 0 ? "" : b + ": ") + problem));
    }
  }

  private static String at(JsonLocation l) {
    return l == null || l.getLineNr() < 1 ? ""
        : "line " + l.getLineNr() + ", column " + l.getColumnNr() + ": ";
  }

  /** A parser's message on one bounded line, without the source excerpt SnakeYAML adds. */
  private static String describe(JsonProcessingException e, JsonLocation last) {
    String message = e.getOriginalMessage();
    JsonLocation where = e.getLocation() == null ? last : e.getLocation();
    if (e.getCause() instanceof org.yaml.snakeyaml.error.MarkedYAMLException m) {
      message = (m.getContext() == null ? "" : m.getContext() + ": ") + m.getProblem();
      if (m.getProblemMark() != null) {
        where = new JsonLocation(ContentReference.unknown(), -1L, m.getProblemMark().getLine() + 1,
            m.getProblemMark().getColumn() + 1);
      }
    }
    String oneLine = String.valueOf(message).replaceAll("\\s+", " ").trim()
        .replace(JACKSON_SOURCE, "");
    return at(where) + ValueSyntax.shorten(oneLine, MAX_MESSAGE);
  }

  private static long utf8Length(String s) {
    long n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n++;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }
}
