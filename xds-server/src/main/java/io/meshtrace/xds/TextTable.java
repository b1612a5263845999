package io.meshtrace.xds;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** Columns padded to their widest cell, as {@code istioctl} prints its tables. */
final class TextTable {

  private static final int GAP = 5;

  private final List<String[]> rows = new ArrayList<>();
  private final int columns;

  TextTable(String... header) {
    columns = header.length;
    rows.add(header);
  }

  TextTable row(Object... cells) {
    String[] r = new String[columns];
    for (int i = 0; i < columns; i++) {
      Object c = i < cells.length ? cells[i] : null;
      r[i] = c == null ? "" : c.toString().replace('\n', ' ');
    }
    rows.add(r);
    return this;
  }

  void print(PrintStream out) {
    int[] width = new int[columns];
    for (String[] r : rows) {
      for (int i = 0; i < columns; i++) {
        width[i] = Math.max(width[i], r[i].length());
      }
    }
    StringBuilder b = new StringBuilder();
    for (String[] r : rows) {
      b.setLength(0);
      for (int i = 0; i < columns; i++) {
        b.append(r[i]);
        if (i < columns - 1) {
          b.append(" ".repeat(width[i] - r[i].length() + GAP));
        }
      }
      out.println(b.toString().stripTrailing());
    }
  }
}
