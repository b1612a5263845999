package io.meshtrace.xds.config;

import com.fasterxml.jackson.dataformat.yaml.util.StringQuotingChecker;
import org.yaml.snakeyaml.nodes.NodeId;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * When a string must be quoted in YAML we write, so that every YAML reader reads the same
 * string back. Jackson's own check ({@code MINIMIZE_QUOTES}) leaves {@code 0x1f} plain (read
 * back as the number 31) and a NEL (U+0085, a line break in YAML) unescaped; this one also
 * quotes every value SnakeYAML's YAML 1.1 resolver would read as something other than a
 * string (hex and octal numbers, {@code .inf}, timestamps, {@code <<}) and every value with a
 * control, format or line/paragraph separator character, which double quotes then escape.
 */
public final class YamlQuoting extends StringQuotingChecker.Default {

  private static final long serialVersionUID = 1L;
  private static final Resolver RESOLVER = new Resolver();

  @Override
  public boolean needToQuoteValue(String value) {
    return super.needToQuoteValue(value)
        || !RESOLVER.resolve(NodeId.scalar, value, true).equals(Tag.STR)
        || hasInvisible(value);
  }

  private static boolean hasInvisible(String s) {
    for (int i = 0; i < s.length(); i++) {
      int type = Character.getType(s.charAt(i));
      if (type == Character.CONTROL || type == Character.FORMAT || type == Character.SURROGATE
              && !Character.isSurrogatePair(s.charAt(i), i + 1 < s.length() ? s.charAt(i + 1) : 0)
          || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR) {
        return true;
      }
      if (Character.isHighSurrogate(s.charAt(i))) {
        i++;
      }
    }
    return false;
  }
}
