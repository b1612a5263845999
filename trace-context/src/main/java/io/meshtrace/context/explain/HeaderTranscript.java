package io.meshtrace.context.explain;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Request headers typed or pasted as text: {@code Name: value} lines, as {@code curl -v}
 * prints them ({@code > } and {@code < } prefixes), skipping the request or status line,
 * curl's {@code *} notes and blank lines. Names are lower-cased.
 */
final class HeaderTranscript {
  private static final Pattern REQUEST_LINE = Pattern.compile("[A-Z]+ \\S+ HTTP/[0-9.]+");
  private static final Pattern STATUS_LINE = Pattern.compile("HTTP/[0-9.]+ [0-9]{3}.*");

  final List<String> names = new ArrayList<>();
  final List<String> values = new ArrayList<>();
  final List<String> skipped = new ArrayList<>();

  static HeaderTranscript read(InputStream in) throws IOException {
    HeaderTranscript transcript = new HeaderTranscript();
    BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    String line;
    int number = 0;
    while ((line = reader.readLine()) != null) {
      number++;
      transcript.add(line, number);
    }
    return transcript;
  }

  private void add(String line, int number) {
    if (line.endsWith("\r")) {
      line = line.substring(0, line.length() - 1);
    }
    if (line.startsWith("> ") || line.startsWith("< ")) {
      line = line.substring(2);
    } else if (line.equals(">") || line.equals("<")) {
      return;
    }
    if (line.isBlank() || line.startsWith("*") || line.startsWith("{") || line.startsWith("}")) {
      return;
    }
    if (isRequestOrStatusLine(line)) {
      return;
    }
    // HTTP/2 pseudo-headers (":path: /x") keep their leading colon.
    int colon = line.indexOf(':', line.startsWith(":") ? 1 : 0);
    if (colon <= 0) {
      skipped.add("line " + number + ": no 'Name: value': " + line);
      return;
    }
    String name = line.substring(0, colon).trim();
    if (name.isEmpty() || name.indexOf(' ') >= 0 || name.indexOf('\t') >= 0) {
      skipped.add("line " + number + ": not a header name: " + line);
      return;
    }
    String value = line.substring(colon + 1);
    int start = 0;
    while (start < value.length() && (value.charAt(start) == ' ' || value.charAt(start) == '\t')) {
      start++;
    }
    names.add(name.toLowerCase(Locale.ROOT));
    values.add(value.substring(start));
  }

  private static boolean isRequestOrStatusLine(String line) {
    return STATUS_LINE.matcher(line).matches() || REQUEST_LINE.matcher(line).matches();
  }

  String[] pairs() {
    String[] pairs = new String[names.size() * 2];
    for (int i = 0; i < names.size(); i++) {
      pairs[2 * i] = names.get(i);
      pairs[2 * i + 1] = values.get(i);
    }
    return pairs;
  }
}
