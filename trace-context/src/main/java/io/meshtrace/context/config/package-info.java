/**
 * The config value types every meshtrace module reads the same way: {@link ConfigDuration},
 * {@link HostName}, {@link HeaderValue}, {@link ConfigProblemsException} and the trace header
 * names of the repair engine ({@link TraceHeaderNames}). Dependency-free, below every module.
 */
package io.meshtrace.context.config;
