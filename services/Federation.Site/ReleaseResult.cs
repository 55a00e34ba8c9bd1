namespace Federation.Site;

/// <summary>
/// What became of a message a gateway wanted to send: refused (recorded, nothing sent) or allowed (recorded, signed
/// and waiting in the outbox for the sender).
/// </summary>
/// <param name="DecisionId">The decision's id in the gateway's decision record.</param>
/// <param name="Reason">Why it was refused; null when allowed.</param>
/// <param name="Message">The signed message now in the outbox; null when refused.</param>
/// <param name="MessageId">The bus message id it will be published with; null when refused.</param>
/// <typeparam name="TMessage">The message type.</typeparam>
public sealed record ReleaseResult<TMessage>(long DecisionId, string? Reason, TMessage? Message, Guid? MessageId)
    where TMessage : class
{
    /// <summary>True when the message was allowed and is in the outbox.</summary>
    public bool Allowed => Message is not null;
}
