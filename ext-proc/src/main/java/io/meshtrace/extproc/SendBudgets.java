package io.meshtrace.extproc;

import io.grpc.Attributes;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerTransportFilter;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Gives every connection its {@link SendBudget} (a transport filter: made when the connection is
 * ready, dropped when it ends) and hands it to the calls on that connection (an interceptor: the
 * budget is in the {@link Context} while the service method opens the stream).
 */
final class SendBudgets extends ServerTransportFilter implements ServerInterceptor {

  private static final Attributes.Key<SendBudget> ATTRIBUTE = Attributes.Key.create("send-budget");
  private static final Context.Key<SendBudget> CONTEXT = Context.key("send-budget");

  private final long maxUnsentBytesPerConnection;
  private final Set<SendBudget> live = ConcurrentHashMap.newKeySet();

  SendBudgets(long maxUnsentBytesPerConnection) {
    this.maxUnsentBytesPerConnection = maxUnsentBytesPerConnection;
  }

  @Override
  public Attributes transportReady(Attributes transportAttrs) {
    SendBudget budget = new SendBudget(maxUnsentBytesPerConnection);
    live.add(budget);
    return transportAttrs.toBuilder().set(ATTRIBUTE, budget).build();
  }

  @Override
  public void transportTerminated(Attributes transportAttrs) {
    SendBudget budget = transportAttrs.get(ATTRIBUTE);
    if (budget != null) {
      live.remove(budget);
    }
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call,
      Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    SendBudget budget = call.getAttributes().get(ATTRIBUTE);
    if (budget == null) {
      return next.startCall(call, headers);
    }
    // Only around startCall, where the service method runs: the listener is not wrapped, so the
    // messages of the call pay nothing for it.
    Context context = Context.current().withValue(CONTEXT, budget);
    Context previous = context.attach();
    try {
      return next.startCall(call, headers);
    } finally {
      context.detach(previous);
    }
  }

  /**
   * The budget of the connection the current call came on; a budget of its own for a call on a
   * transport that bypassed {@link #transportReady}.
   */
  SendBudget current() {
    SendBudget budget = CONTEXT.get();
    return budget != null ? budget : new SendBudget(maxUnsentBytesPerConnection);
  }

  /** Response bytes waiting for their peers to read, over every connection. */
  long unsentBytes() {
    long total = 0;
    for (SendBudget budget : live) {
      total += budget.unsentBytes();
    }
    return total;
  }
}
