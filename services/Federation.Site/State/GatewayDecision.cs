using Federation.Policies;

namespace Federation.Site.State;

/// <summary>
/// One entry of a gateway's decision record: a message it let leave, or one it refused, under which policy and
/// after which checks. Written before anything is sent, so the record is never behind what left the site.
/// </summary>
/// <param name="Id">Position in the record, from 1.</param>
/// <param name="DecidedAt">When the decision was made.</param>
/// <param name="Kind">What was to leave: <c>model-update</c> or <c>evaluation-metrics</c>.</param>
/// <param name="Subject">What it was about, e.g. <c>round 3</c> or <c>model v2</c>.</param>
/// <param name="PolicyId">The deciding policy's id.</param>
/// <param name="PolicyVersion">The deciding policy's version.</param>
/// <param name="PolicySha256">SHA-256 of the deciding policy file.</param>
/// <param name="Allowed">True when the message was let out (and put in the outbox).</param>
/// <param name="Reason">Why it was refused; null when allowed.</param>
/// <param name="Checks">Every check performed, in order, with whether it passed and what was found.</param>
/// <param name="DocumentSha256">For allowed messages: SHA-256 of the signed manifest or report text.</param>
/// <param name="Sequence">For allowed model updates: the manifest's sequence number.</param>
/// <param name="MessageId">For allowed messages: the bus message id of its outbox entry.</param>
public sealed record GatewayDecision(
    long Id,
    DateTimeOffset DecidedAt,
    string Kind,
    string Subject,
    string PolicyId,
    int PolicyVersion,
    string PolicySha256,
    bool Allowed,
    string? Reason,
    IReadOnlyList<PolicyCheck> Checks,
    string? DocumentSha256,
    long? Sequence,
    Guid? MessageId);

/// <summary>A signed message waiting in (or sent from) a gateway's outbox.</summary>
/// <param name="MessageId">The bus message id, fixed when the entry is written, so a resend is recognisably the same message.</param>
/// <param name="Kind">The message kind: <see cref="OutboxKinds.Contribution"/> or <see cref="OutboxKinds.Evaluation"/>.</param>
/// <param name="Document">The signed manifest or report text.</param>
/// <param name="Signature">Its Ed25519 signature, base64.</param>
/// <param name="Payload">The update's safetensors bytes for a contribution small enough to travel inline; null for a report or a payload kept in a file.</param>
/// <param name="CreatedAt">When the entry was written.</param>
/// <param name="Attempts">Failed publish attempts so far.</param>
/// <param name="PayloadFile">
/// For a contribution whose payload travels in chunks: the file holding it (<see cref="GatewayState.WriteOutboxPayload"/>), named by its SHA-256.
/// </param>
public sealed record OutboxEntry(Guid MessageId, string Kind, string Document, string Signature, byte[]? Payload, DateTimeOffset CreatedAt, int Attempts, string? PayloadFile = null);

/// <summary>What the outbox holds about one message, sent or not: for factory IT to see exactly what left and when.</summary>
/// <param name="MessageId">The bus message id.</param>
/// <param name="Kind">The message kind: <see cref="OutboxKinds.Contribution"/> or <see cref="OutboxKinds.Evaluation"/>.</param>
/// <param name="DecisionId">The decision that let it out (see <see cref="GatewayDecision.Id"/>).</param>
/// <param name="Document">The signed manifest or report text, exactly as sent.</param>
/// <param name="PayloadBytes">Size of the update's safetensors payload; 0 for a report.</param>
/// <param name="CreatedAt">When the entry was written.</param>
/// <param name="Attempts">Failed publish attempts.</param>
/// <param name="LastError">The last failed attempt's error, if any.</param>
/// <param name="SentAt">When the bus confirmed it; null while it waits.</param>
public sealed record OutboxRecord(
    Guid MessageId, string Kind, long DecisionId, string Document, long PayloadBytes, DateTimeOffset CreatedAt, int Attempts, string? LastError, DateTimeOffset? SentAt);

/// <summary>The kinds of outbox entry.</summary>
public static class OutboxKinds
{
    /// <summary>A signed contribution (<c>ContributionSubmitted</c>).</summary>
    public const string Contribution = "contribution-submitted";

    /// <summary>A signed evaluation report (<c>EvaluationReported</c>).</summary>
    public const string Evaluation = "evaluation-reported";
}
