package io.meshtrace.context;

/**
 * One change to the request's headers: set {@code name} to {@code value} (replacing every
 * existing occurrence), or remove every occurrence of {@code name} when {@code value} is null.
 * Names are lower-case; values are printable ASCII, never CR, LF or another control char.
 */
public record HeaderMutation(String name, String value) {

  public static HeaderMutation set(String name, String value) {
    return new HeaderMutation(name, value);
  }

  public static HeaderMutation remove(String name) {
    return new HeaderMutation(name, null);
  }

  public boolean isRemove() {
    return value == null;
  }
}
